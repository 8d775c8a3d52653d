"""getBusinessOrders and acceptOrderCancellation: the order methods of the 2026 spec (R-102)."""

from __future__ import annotations

from starlette.responses import Response

from dbskit.contract.answers import EmptyApiResponse
from dbskit.contract.business_orders import (
    AcceptOrderCancellationRequest,
    GetBusinessOrdersRequest,
)
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.domain.business_orders_query import business_orders_query, page_params_from
from dbskit.market.routes._partner import PartnerRequest
from dbskit.market.services import business_orders
from dbskit.market.services.business_order_view import business_order_json
from dbskit.market.services.order_view import page_body
from dbskit.market.services.orders import accept_order_cancellation as accept_cancellation


async def get_business_orders(partner: PartnerRequest) -> Response:
    runtime = partner.runtime
    page = page_params_from(partner.http.query_params.multi_items())
    body = await read_json(partner.http, GetBusinessOrdersRequest)
    query = business_orders_query(body, page, now=runtime.clock.now())
    found = await business_orders.get_business_orders(
        runtime.db,
        runtime.order_documents.shelf(),
        business_id=partner.call.business_id,
        query=query,
        render=business_order_json,
    )
    return json_answer(page_body(found.documents, paging=found.paging))


async def accept_order_cancellation(partner: PartnerRequest) -> Response:
    runtime = partner.runtime
    order_id = partner.order_id
    body = await read_json(partner.http, AcceptOrderCancellationRequest)
    await accept_cancellation(
        runtime.db,
        campaign_id=partner.campaign_id,
        order_id=order_id,
        request=body,
        now=runtime.clock.now(),
    )
    return json_answer(EmptyApiResponse())
