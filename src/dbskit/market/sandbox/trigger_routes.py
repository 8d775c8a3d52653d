"""/sandbox/.../triggers/<event>: Market-side events on demand. Each answers the notifications
it queued (``{"notifications": [outbox entries]}``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.sandbox_campaigns import (
    BuyerCancellationTrigger,
    DeliveryDateChangeTrigger,
    TriggeredNotifications,
)
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.sandbox._guard import require_sandbox_token, runtime_of
from dbskit.market.sandbox._openapi import json_body
from dbskit.market.sandbox._params import CampaignIdParam, OrderIdParam
from dbskit.market.services import sandbox_triggers

router = APIRouter(prefix="/sandbox", dependencies=[Depends(require_sandbox_token)])
ORDER_TRIGGERS = "/campaigns/{campaignId}/orders/{orderId}/triggers"


@router.post("/campaigns/{campaignId}/triggers/ping", response_model=TriggeredNotifications)
async def trigger_ping(request: Request, campaign_id: CampaignIdParam) -> Response:
    """R-117: a PING to the campaign's notification URL."""
    runtime = runtime_of(request)
    sent = await sandbox_triggers.send_ping(
        runtime.db, campaign_id=campaign_id, now=runtime.clock.now()
    )
    return json_answer(sent)


@router.post(
    ORDER_TRIGGERS + "/buyer-cancellation",
    response_model=TriggeredNotifications,
    openapi_extra=json_body(BuyerCancellationTrigger, required=False),
)
async def trigger_buyer_cancellation(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    """R-102: the buyer cancels (body optional: ``{"reason": "USER_CHANGED_MIND"}``)."""
    runtime = runtime_of(request)
    body = await _optional_body(request, BuyerCancellationTrigger)
    sent = await sandbox_triggers.buyer_cancels(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        reason=body.reason,
        now=runtime.clock.now(),
    )
    return json_answer(sent)


@router.post(ORDER_TRIGGERS + "/buyer-received", response_model=TriggeredNotifications)
async def trigger_buyer_received(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    """The buyer confirms receipt: DELIVERY/USER_RECEIVED."""
    runtime = runtime_of(request)
    sent = await sandbox_triggers.buyer_receives(
        runtime.db, campaign_id=campaign_id, order_id=order_id, now=runtime.clock.now()
    )
    return json_answer(sent)


@router.post(
    ORDER_TRIGGERS + "/delivery-date-change",
    response_model=TriggeredNotifications,
    openapi_extra=json_body(DeliveryDateChangeTrigger),
)
async def trigger_delivery_date_change(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    """New delivery dates (``{"fromDate": "DD-MM-YYYY", "toDate": ...}``): ORDER_UPDATED."""
    runtime = runtime_of(request)
    change = await read_json(request, DeliveryDateChangeTrigger)
    sent = await sandbox_triggers.change_delivery_dates(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        change=change,
        now=runtime.clock.now(),
    )
    return json_answer(sent)


async def _optional_body(
    request: Request, model: type[BuyerCancellationTrigger]
) -> BuyerCancellationTrigger:
    """No body takes the defaults; a body is read as the model."""
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return model()
    return await read_json(request, model)
