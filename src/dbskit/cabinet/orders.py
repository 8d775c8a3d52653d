"""The orders list: the filters a seller uses, newest first, a page at a time."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dbskit.cabinet._auth import PREFIX, signed_in
from dbskit.cabinet._fields import BadField, Fields, day_after, day_start, echoed, page_link
from dbskit.cabinet._views import render
from dbskit.contract.enums import OrderStatus, OrderSubstatus
from dbskit.market.services.cabinet_queries import (
    ORDERS_PAGE,
    ORDERS_PAGE_MAX,
    InvalidCursor,
    OrderFilter,
    list_orders,
)

ORDERS_PATH: Final = PREFIX + "/orders"
FILTERS: Final = (
    "campaign",
    "status",
    "substatus",
    "created_from",
    "created_to",
    "fake",
    "digital",
    "marked",
    "awaiting",
    "limit",
)
CURSOR_MAX: Final = 200  # ours: longer than any cursor this server gives


def order_filter(query: Fields) -> OrderFilter:
    created_from = query.day("created_from")
    created_to = query.day("created_to")
    if created_from is not None and created_to is not None and created_to < created_from:
        raise BadField("created_to", "must not be before created_from")
    return OrderFilter(
        campaign_id=query.integer("campaign"),
        status=query.choice("status", OrderStatus),
        substatus=query.choice("substatus", OrderSubstatus),
        created_from=None if created_from is None else day_start(created_from),
        created_to=None if created_to is None else day_after(created_to),  # the day included
        fake=query.flag("fake"),
        digital=query.flag("digital"),
        marked=query.flag("marked"),
        awaiting_cancellation_answer=query.flag("awaiting"),
    )


async def orders_page(request: Request) -> Response:
    visit = signed_in(request)
    query = Fields.of_query(request)
    chosen = order_filter(query)
    limit = query.integer("limit", high=ORDERS_PAGE_MAX) or ORDERS_PAGE
    cursor = query.text("cursor", max_length=CURSOR_MAX)
    try:
        found = await list_orders(visit.runtime, chosen, limit=limit, cursor=cursor)
    except InvalidCursor:
        raise BadField("cursor", "not a page position this server gave") from None
    next_page = None
    if found.next_cursor is not None:
        next_page = page_link(ORDERS_PATH, query, FILTERS, cursor=found.next_cursor)
    return render(
        request,
        visit,
        "orders.html",
        section="orders",
        orders=found.orders,
        form=echoed(query, FILTERS),
        statuses=[status.value for status in OrderStatus],
        substatuses=[substatus.value for substatus in OrderSubstatus],
        next_page=next_page,
    )


routes = [Route("/orders", orders_page, methods=["GET"])]
