"""getOrder, getOrders and updateOrderStatus (R-104, R-119, R-120)."""

from __future__ import annotations

from starlette.responses import Response

from dbskit.contract.orders import (
    GetOrderResponse,
    UpdateOrderStatusRequest,
    UpdateOrderStatusResponse,
)
from dbskit.http_answer import json_answer, json_bytes
from dbskit.http_body import read_json
from dbskit.market.domain.call_warnings import credential_warnings
from dbskit.market.domain.order import Order
from dbskit.market.domain.orders_query import orders_query, params_from
from dbskit.market.routes._partner import PartnerRequest
from dbskit.market.services import orders as service
from dbskit.market.services.order_view import order_dto, order_json, page_body


async def get_order(partner: PartnerRequest) -> Response:
    runtime = partner.runtime
    body = await service.get_order_document(
        runtime.db,
        runtime.order_documents.shelf(),
        campaign_id=partner.campaign_id,
        order_id=partner.order_id,
        render=get_order_body,
    )
    return json_answer(body)


def get_order_body(order: Order) -> bytes:
    return json_bytes(GetOrderResponse(order=order_dto(order)))


async def get_orders(partner: PartnerRequest) -> Response:
    runtime = partner.runtime
    query = orders_query(
        params_from(partner.http.query_params.multi_items()),
        now=runtime.clock.now(),
        profile=runtime.settings.profile,
    )
    page = await service.get_orders(
        runtime.db,
        runtime.order_documents.shelf(),
        campaign_id=partner.campaign_id,
        query=query,
        render=order_json,
    )
    return json_answer(page_body(page.documents, pager=page.pager, paging=page.paging))


async def update_order_status(partner: PartnerRequest) -> Response:
    runtime = partner.runtime
    order_id = partner.order_id
    body = await read_json(partner.http, UpdateOrderStatusRequest)
    order = await service.update_order_status(
        runtime.db,
        campaign_id=partner.campaign_id,
        order_id=order_id,
        change=body.order,
        now=runtime.clock.now(),
        call_warnings=credential_warnings(partner.call.credential),
    )
    return json_answer(UpdateOrderStatusResponse(order=order_dto(order)))
