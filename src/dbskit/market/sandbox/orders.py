"""/sandbox test orders: place one (R-107), make the Market's own status moves (R-097, R-102)
and look behind an order (keys, tracks, marking codes, lateness, warnings, outbox)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.orders import GetOrderResponse
from dbskit.contract.sandbox import SandboxOrderRequest, SandboxStatusRequest
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.sandbox._guard import require_sandbox_token, runtime_of
from dbskit.market.sandbox._params import CampaignIdParam, OrderIdParam
from dbskit.market.services import sandbox_orders
from dbskit.market.services.order_view import order_dto
from dbskit.market.services.sandbox_order_view import get_sandbox_order_view

router = APIRouter(prefix="/sandbox", dependencies=[Depends(require_sandbox_token)])


@router.post("/campaigns/{campaignId}/orders")
async def create_order(request: Request, campaign_id: CampaignIdParam) -> Response:
    runtime = runtime_of(request)
    body = await read_json(request, SandboxOrderRequest)
    order = await sandbox_orders.create_test_order(
        runtime.db,
        campaign_id=campaign_id,
        request=body,
        now=runtime.clock.now(),
        retention=timedelta(days=runtime.settings.test_order_retention_days),
        profile=runtime.settings.profile,
    )
    return json_answer(GetOrderResponse(order=order_dto(order)), status_code=201)


@router.get("/campaigns/{campaignId}/orders/{orderId}")
async def show_order(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    runtime = runtime_of(request)
    await runtime.query_log.flush()  # this instance's latest calls are visible at once
    view = await get_sandbox_order_view(
        runtime.db,
        log_db=runtime.log_db,
        log_retention=runtime.query_log.retention,
        campaign_id=campaign_id,
        order_id=order_id,
        now=runtime.clock.now(),
    )
    return json_answer(view)


@router.post("/campaigns/{campaignId}/orders/{orderId}/status")
async def move_order(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    runtime = runtime_of(request)
    body = await read_json(request, SandboxStatusRequest)
    order = await sandbox_orders.move_order(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        request=body,
        now=runtime.clock.now(),
    )
    return json_answer(GetOrderResponse(order=order_dto(order)))
