"""getOrders and getBusinessOrders over 100,000 stored orders: the data once per server, and the
requests, cycled.

The first setup on a server makes a business with one campaign and a key through /sandbox, then
writes the orders straight into the server's database (``stored_orders``); later setups on the
same server reuse them, as the list methods only read. The requests are a few dozen filter sets,
each asked for its first ``PAGES`` pages: through the ``nextPageToken`` each page gave (walked
once, at the first setup), or, for getOrders' legacy paging, by page number. No two requests of a
workload are the same, and nothing the server keeps is keyed by a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from benchmarks.calls import Prepared, SetupContext, Variant
from benchmarks.method_setups import sandbox_post
from benchmarks.stored_orders import StoredOrders, settle, write_orders

PAGES = 4  # pages asked for of each filter set
PAGE_SIZE = 50  # the most a page holds
IDS_PER_REQUEST = 50  # orderIds and externalOrderIds: the most a request names
STATUSES = ("PROCESSING", "DELIVERY", "PICKUP", "DELIVERED", "CANCELLED")
# Spans of days ending some days ago: (days back, days long).
CREATION_SPANS = ((0, 1), (2, 3), (5, 7), (10, 2), (20, 8), (27, 3))

Json = dict[str, Any]
Query = dict[str, str]


@dataclass(frozen=True)
class OrdersSeller:
    """The business whose campaign holds the stored orders, and its key."""

    api_key: str
    business_id: int
    stored: StoredOrders
    now: datetime  # the server's clock when the orders were written


_sellers: dict[str, OrdersSeller] = {}  # by the server's base URL
_requests: dict[tuple[str, str], tuple[Variant, ...]] = {}  # by (base URL, workload)


def orders_seller(context: SetupContext) -> OrdersSeller:
    """The seller of the stored orders on this server, written at the first call; at every call
    the database settled (``stored_orders.settle``), whatever ran before."""
    if context.database_url is None:
        raise RuntimeError("the order list workloads write their orders into the server's database")
    found = _sellers.get(context.base_url)
    if found is not None:
        settle(context.database_url)
        return found
    seller = sandbox_post(context, "/sandbox/campaigns", {"name": "Bench order lists"})
    token = {"businessId": seller["businessId"], "scopes": ["all-methods"]}
    api_key = str(sandbox_post(context, "/sandbox/tokens", token)["apiKey"])
    clock = context.client.get(f"{context.base_url}/sandbox/clock", headers=context.sandbox_headers)
    clock.raise_for_status()
    now = datetime.fromisoformat(clock.json()["now"])
    stored = write_orders(context.database_url, int(seller["campaignId"]), now=now)
    found = _sellers[context.base_url] = OrdersSeller(
        api_key, int(seller["businessId"]), stored, now
    )
    return found


def _once(context: SetupContext, workload: str, make: Callable[[], Iterator[Variant]]) -> Prepared:
    key = (context.base_url, workload)
    if key not in _requests:
        _requests[key] = tuple(make())
    return Prepared(_requests[key])


def _spread(ids: tuple[Any, ...], groups: int) -> Iterator[list[Any]]:
    """``groups`` lists of ``IDS_PER_REQUEST`` ids from all over the stored orders."""
    step = len(ids) // groups
    for group in range(groups):
        yield list(ids[group * step : group * step + IDS_PER_REQUEST])


def _token_pages(first: Query, paging_of: Callable[[Query], Json], token: str) -> Iterator[Query]:
    """The first page's query, then each next page's, with the token the page before gave."""
    query = first
    for _ in range(PAGES):
        yield query
        next_token = paging_of(query).get("nextPageToken")
        if next_token is None:
            return
        query = {**first, token: next_token}


def _answer(response: Any) -> Json:
    response.raise_for_status()
    found: Json = response.json()
    return found


# --- getOrders ----------------------------------------------------------------------------------


def get_orders_filters(seller: OrdersSeller) -> list[Query]:
    """The query parameters of each filter set (R-120)."""
    now = seller.now
    stored = seller.stored

    def day(back: float) -> str:
        return (now - timedelta(days=back)).strftime("%d-%m-%Y")

    real = tuple(i for i in stored.order_ids if i not in stored.fake_ids)
    fake = tuple(i for i in stored.order_ids if i in stored.fake_ids)
    subs = ("STARTED", "READY_TO_SHIP", "DELIVERY_SERVICE_RECEIVED", "USER_RECEIVED")
    filters: list[Query] = [{}, {"fake": "true"}]
    filters += [{"status": status} for status in STATUSES]
    filters += [{"status": "PROCESSING,DELIVERY"}, {"status": "DELIVERY,PICKUP,DELIVERED"}]
    filters += [{"substatus": sub} for sub in subs]
    filters += [{"status": "PROCESSING", "substatus": "READY_TO_SHIP"}]
    filters += [{"fromDate": day(b + s), "toDate": day(b)} for b, s in CREATION_SPANS]
    filters += [{"fromDate": day(back)} for back in (4, 12)]
    filters += [
        {"updatedAtFrom": (now - timedelta(days=back)).isoformat(timespec="seconds")}
        for back in (3, 9)
    ]
    filters += [{"supplierShipmentDateFrom": day(14), "supplierShipmentDateTo": day(7)}]
    filters += [{"onlyWaitingForCancellationApprove": "true"}, {"buyerType": "BUSINESS"}]
    filters += [{"dispatchType": "SHOP_OUTLET"}, {"hasCis": "true"}]
    filters += [{"orderIds": ",".join(map(str, ids))} for ids in _spread(real, 4)]
    filters += [{"orderIds": ",".join(map(str, ids)), "fake": "true"} for ids in _spread(fake, 2)]
    return filters


def _get_orders_path(seller: OrdersSeller, query: Mapping[str, str]) -> str:
    return f"/v2/campaigns/{seller.stored.campaign_id}/orders?{urlencode(query)}"


def get_orders_setup(context: SetupContext) -> Prepared:
    """Each filter set's first pages through the page tokens (``limit`` and ``page_token``)."""
    seller = orders_seller(context)

    def paging_of(query: Query) -> Json:
        path = _get_orders_path(seller, query)
        answer = _answer(context.client.get(context.base_url + path, headers=_key(seller)))
        paging: Json = answer["paging"]
        return paging

    def requests() -> Iterator[Variant]:
        for filters in get_orders_filters(seller):
            first = {**filters, "limit": str(PAGE_SIZE)}
            for query in _token_pages(first, paging_of, "page_token"):
                yield Variant(seller.api_key, _get_orders_path(seller, query))

    return _once(context, "get-orders", requests)


def get_orders_numbered_setup(context: SetupContext) -> Prepared:
    """Each filter set's first pages by number (``page`` and ``pageSize``): each with a count of
    every order the filters match."""
    seller = orders_seller(context)

    def requests() -> Iterator[Variant]:
        for filters in get_orders_filters(seller):
            named = "orderIds" in filters  # one page holds every order named
            for page in range(1, 2 if named else PAGES + 1):
                query = {**filters, "page": str(page), "pageSize": str(PAGE_SIZE)}
                yield Variant(seller.api_key, _get_orders_path(seller, query))

    return _once(context, "get-orders-numbered", requests)


def _key(seller: OrdersSeller) -> dict[str, str]:
    return {"Api-Key": seller.api_key}


# --- getBusinessOrders --------------------------------------------------------------------------


def business_orders_filters(seller: OrdersSeller) -> list[Json]:
    """The request bodies of each filter set (spec GetBusinessOrdersRequest)."""
    now = seller.now
    stored = seller.stored

    def day(back: float) -> str:
        return (now - timedelta(days=back)).date().isoformat()

    real = tuple(i for i in stored.order_ids if i not in stored.fake_ids)
    bodies: list[Json] = [{}, {"fake": True}, {"campaignIds": [stored.campaign_id]}]
    bodies += [{"statuses": [status]} for status in STATUSES]
    bodies += [{"statuses": ["PROCESSING", "DELIVERY"]}, {"statuses": ["DELIVERED", "CANCELLED"]}]
    bodies += [{"substatuses": [sub]} for sub in ("STARTED", "READY_TO_SHIP", "USER_RECEIVED")]
    bodies += [{"statuses": ["PROCESSING"], "substatuses": ["READY_TO_SHIP"]}]
    bodies += [
        {"dates": {"creationDateFrom": day(b + s), "creationDateTo": day(b)}}
        for b, s in CREATION_SPANS
    ]
    bodies += [
        {"dates": {"updateDateFrom": (now - timedelta(days=back)).isoformat(timespec="seconds")}}
        for back in (3, 9)
    ]
    bodies += [{"dates": {"shipmentDateFrom": day(back)}} for back in (5, 14)]
    bodies += [{"waitingForCancellationApprove": True}, {"programTypes": ["DBS"]}]
    bodies += [{"sourcePlatforms": ["MARKET"], "statuses": ["DELIVERY"]}]
    bodies += [{"orderIds": ids} for ids in _spread(real, 4)]
    bodies += [{"externalOrderIds": ids} for ids in _spread(stored.external_ids, 2)]
    return bodies


def business_orders_setup(context: SetupContext) -> Prepared:
    """Each filter set's first pages through the page tokens (``limit`` and ``pageToken``)."""
    seller = orders_seller(context)
    path = f"/v1/businesses/{seller.business_id}/orders"
    headers = {**_key(seller), "Content-Type": "application/json"}

    def requests() -> Iterator[Variant]:
        for filters in business_orders_filters(seller):
            body = json.dumps(filters, separators=(",", ":"))

            def paging_of(query: Query, body: str = body) -> Json:
                url = f"{context.base_url}{path}?{urlencode(query)}"
                answer = _answer(context.client.post(url, content=body, headers=headers))
                paging: Json = answer["paging"]
                return paging

            for query in _token_pages({"limit": str(PAGE_SIZE)}, paging_of, "pageToken"):
                yield Variant(seller.api_key, f"{path}?{urlencode(query)}", body)

    return _once(context, "business-orders", requests)
