"""POST v2/campaigns/{campaignId}/orders/{orderId}/deliverDigitalGoods (R-001..R-014).

Authentication, scopes and campaign access are checked before the handler runs. The body is
read with the profile's model (C-03..C-06) and merged before the service decides.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract import digital_goods
from dbskit.market.routes._body import read_json
from dbskit.market.routes._responses import ok_response
from dbskit.market.routes.orders import CampaignIdParam, OrderIdParam
from dbskit.market.sandbox._guard import runtime_of
from dbskit.market.services import digital_goods as service

router = APIRouter()


@router.post("/campaigns/{campaignId}/orders/{orderId}/deliverDigitalGoods")
async def provide_order_digital_codes(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    runtime = runtime_of(request)
    profile = runtime.settings.profile
    document = await read_json(request, digital_goods.request_model(profile))
    await service.provide_order_digital_codes(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        submission=digital_goods.submission(document, profile=profile),
        now=runtime.clock.now(),
        settings=runtime.settings,
    )
    return ok_response()
