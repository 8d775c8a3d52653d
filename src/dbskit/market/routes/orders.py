"""getOrder, getOrders and updateOrderStatus on their official paths (R-104, R-119, R-120).

Authentication, scopes and campaign access are checked before these handlers run.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract._base import INT64_MAX, INT64_MIN
from dbskit.contract.orders import (
    GetOrderResponse,
    UpdateOrderStatusRequest,
    UpdateOrderStatusResponse,
)
from dbskit.market.domain.orders_query import orders_query, params_from
from dbskit.market.routes._body import read_json
from dbskit.market.routes._responses import json_response
from dbskit.market.runtime import Runtime
from dbskit.market.services import orders as service
from dbskit.market.services.order_view import order_dto

router = APIRouter()

CampaignIdParam = Annotated[int, Path(alias="campaignId", ge=1, le=INT64_MAX)]
OrderIdParam = Annotated[int, Path(alias="orderId", ge=INT64_MIN, le=INT64_MAX)]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("/campaigns/{campaignId}/orders/{orderId}")
async def get_order(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    order = await service.get_order(
        _runtime(request).db, campaign_id=campaign_id, order_id=order_id
    )
    return json_response(GetOrderResponse(order=order_dto(order)))


@router.get("/campaigns/{campaignId}/orders")
async def get_orders(request: Request, campaign_id: CampaignIdParam) -> Response:
    runtime = _runtime(request)
    query = orders_query(
        params_from(request.query_params.multi_items()),
        now=runtime.clock.now(),
        profile=runtime.settings.profile,
    )
    page = await service.get_orders(runtime.db, campaign_id=campaign_id, query=query)
    return json_response(page.response())


@router.put("/campaigns/{campaignId}/orders/{orderId}/status")
async def update_order_status(
    request: Request, campaign_id: CampaignIdParam, order_id: OrderIdParam
) -> Response:
    runtime = _runtime(request)
    body = await read_json(request, UpdateOrderStatusRequest)
    order = await service.update_order_status(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        change=body.order,
        now=runtime.clock.now(),
    )
    return json_response(UpdateOrderStatusResponse(order=order_dto(order)))
