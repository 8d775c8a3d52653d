"""PUT .../orders/{orderId}/identifiers and POST .../identifiers/status (R-023..R-036, R-121).

Authentication, scopes and campaign access are checked before these handlers run.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.identifiers import ProvideOrderItemIdentifiersRequest
from dbskit.market.domain.identifiers import MarkingSwitches
from dbskit.market.routes._body import read_json
from dbskit.market.routes._responses import json_response
from dbskit.market.routes.orders import CampaignIdParam, OrderIdParam
from dbskit.market.sandbox._guard import runtime_of
from dbskit.market.services import identifiers as service

router = APIRouter()

_PATH = "/campaigns/{campaignId}/orders/{orderId}/identifiers"


@router.put(_PATH)
async def provide_order_item_identifiers(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    runtime = runtime_of(request)
    body = await read_json(request, ProvideOrderItemIdentifiersRequest)
    answer = await service.provide_order_item_identifiers(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        request=body,
        switches=MarkingSwitches(
            strict_widths=runtime.settings.strict_marking_widths,
            strict_country_code=runtime.settings.strict_country_code,
        ),
        now=runtime.clock.now(),
    )
    return json_response(answer)


@router.post(f"{_PATH}/status")
async def get_order_identifiers_status(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    answer = await service.get_order_identifiers_status(
        runtime_of(request).db, campaign_id=campaign_id, order_id=order_id
    )
    return json_response(answer)
