"""The order a query-log entry concerns: the one its path names, refused calls included; none for
calls on no single order (docs/decisions.md, "Query log")."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from dbskit.market.services.cabinet_queries import QueryLogFilter, query_log_page
from tests.factories import runtime_of
from tests.orders_support import Shops

pytestmark = pytest.mark.usefixtures("wall")

DECISION = "Query log"


async def logged(app: FastAPI, **filters: object) -> list[tuple[str | None, int | None, int]]:
    """(operation, order, status) of the entries that pass the filters, oldest first."""
    runtime = runtime_of(app)
    await runtime.query_log.flush()
    page = await query_log_page(runtime, QueryLogFilter(**filters), limit=200)  # type: ignore[arg-type]
    return [(entry.operation_id, entry.order_id, entry.status) for entry in reversed(page.entries)]


@pytest.mark.rule("R-111")
@pytest.mark.decision(DECISION)
async def test_every_call_on_an_order_names_it(app: FastAPI, shops: Shops) -> None:
    order = await shops.place(
        items=[{"offerId": "game-1", "count": 1, "price": 1500}], delivery={"type": "DIGITAL"}
    )
    parcel = await shops.place()
    oid, pid = order["id"], parcel["id"]
    item = order["items"][0]["id"]
    client = shops.client
    keys = {"items": [{"id": item, "codes": ["K-1"], "slip": "s", "activate_till": "2030-12-31"}]}
    await client.get(shops.path(oid))
    await client.post(f"{shops.path(oid)}/deliverDigitalGoods", json=keys)
    ready = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    await client.put(f"{shops.path(pid)}/status", json=ready)
    await client.post(
        f"{shops.path(pid)}/delivery/track", json={"trackCode": "RA1", "deliveryServiceId": 51}
    )
    await client.put(f"{shops.path(pid)}/identifiers", json={"items": []})
    await client.post(f"{shops.path(pid)}/identifiers/status", json={})
    await client.put(f"{shops.path(pid)}/cancellation/accept", json={"accepted": True})
    await client.get(shops.orders)  # getOrders: no single order
    await client.post(f"/v1/businesses/{shops.mine.business_id}/orders", json={})
    await client.get(shops.path(oid), headers={"Api-Key": "wrong"})  # refused: still the order
    await client.get(shops.path("not-a-number"))

    entries = await logged(app, campaign_id=shops.mine.campaign_id)
    assert [(operation, order_id) for operation, order_id, _status in entries] == [
        ("getOrder", oid),
        ("provideOrderDigitalCodes", oid),
        ("updateOrderStatus", pid),
        ("setOrderDeliveryTrackCode", pid),
        ("provideOrderItemIdentifiers", pid),
        ("getOrderIdentifiersStatus", pid),
        ("acceptOrderCancellation", pid),
        ("getOrders", None),
        ("getOrder", oid),
        ("getOrder", None),
    ]
    business = await logged(app, operation="getBusinessOrders")
    assert [(operation, order_id) for operation, order_id, _ in business] == [
        ("getBusinessOrders", None)
    ]
    assert [entry[:2] for entry in await logged(app, order_id=pid)] == [
        ("updateOrderStatus", pid),
        ("setOrderDeliveryTrackCode", pid),
        ("provideOrderItemIdentifiers", pid),
        ("getOrderIdentifiersStatus", pid),
        ("acceptOrderCancellation", pid),
    ]
