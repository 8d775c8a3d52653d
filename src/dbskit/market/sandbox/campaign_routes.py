"""/sandbox/campaigns/{campaignId}: a campaign's settings, as the cabinet's store page shows and
changes them (push and notification URLs, the push token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.sandbox_campaigns import CampaignSettings, CampaignSettingsChange
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.sandbox._guard import require_sandbox_token, runtime_of
from dbskit.market.sandbox._openapi import json_body
from dbskit.market.sandbox._params import CampaignIdParam
from dbskit.market.services.campaign_settings import (
    get_campaign_settings,
    update_campaign_settings,
)

router = APIRouter(prefix="/sandbox", dependencies=[Depends(require_sandbox_token)])


@router.get("/campaigns/{campaignId}", response_model=CampaignSettings)
async def show_campaign(request: Request, campaign_id: CampaignIdParam) -> Response:
    settings = await get_campaign_settings(runtime_of(request).db, campaign_id=campaign_id)
    return json_answer(settings)


@router.patch(
    "/campaigns/{campaignId}",
    response_model=CampaignSettings,
    openapi_extra=json_body(CampaignSettingsChange),
)
async def change_campaign(request: Request, campaign_id: CampaignIdParam) -> Response:
    """Change the fields given; a new notification URL gets a PING (R-117)."""
    runtime = runtime_of(request)
    change = await read_json(request, CampaignSettingsChange)
    settings = await update_campaign_settings(
        runtime.db, campaign_id=campaign_id, change=change, now=runtime.clock.now()
    )
    return json_answer(settings)
