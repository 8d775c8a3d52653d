"""/sandbox/campaigns and /sandbox/tokens: what a seller does in the cabinet to get API access."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.answers import EmptyApiResponse
from dbskit.contract.sandbox_access import (
    CampaignActivity,
    CampaignActivityChanged,
    CampaignCreate,
    TokenCreate,
    TokenRevoke,
)
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.sandbox._guard import require_sandbox_token, runtime_of
from dbskit.market.sandbox._params import CampaignIdParam

router = APIRouter(prefix="/sandbox", dependencies=[Depends(require_sandbox_token)])


@router.post("/campaigns")
async def create_campaign(request: Request) -> Response:
    body = await read_json(request, CampaignCreate)
    created = await runtime_of(request).access.create_campaign(body)
    return json_answer(created, status_code=201)


@router.post("/campaigns/{campaignId}/activity")
async def set_campaign_activity(request: Request, campaign_id: CampaignIdParam) -> Response:
    body = await read_json(request, CampaignActivity)
    await runtime_of(request).access.set_campaign_active(campaign_id, active=body.active)
    return json_answer(CampaignActivityChanged(campaign_id=campaign_id, active=body.active))


@router.post("/tokens")
async def create_token(request: Request) -> Response:
    body = await read_json(request, TokenCreate)
    created = await runtime_of(request).access.create_token(body)
    return json_answer(created, status_code=201)


@router.post("/tokens/revoke")
async def revoke_token(request: Request) -> Response:
    body = await read_json(request, TokenRevoke)
    await runtime_of(request).access.revoke_token(body.secret)
    return json_answer(EmptyApiResponse())
