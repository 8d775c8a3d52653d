"""POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track (R-015..R-022, OQ-06).

Authentication, scopes and campaign access are checked before the handler runs.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.tracking import SetOrderDeliveryTrackCodeRequest
from dbskit.market.routes._body import read_json
from dbskit.market.routes._responses import ok_response
from dbskit.market.routes.orders import CampaignIdParam, OrderIdParam
from dbskit.market.sandbox._guard import runtime_of
from dbskit.market.services import tracking as service

router = APIRouter()


@router.post("/campaigns/{campaignId}/orders/{orderId}/delivery/track")
async def set_order_delivery_track_code(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    runtime = runtime_of(request)
    body = await read_json(request, SetOrderDeliveryTrackCodeRequest)
    await service.set_order_delivery_track_code(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        request=body,
        now=runtime.clock.now(),
        strict_track_codes=runtime.settings.strict_track_codes,
    )
    return ok_response()
