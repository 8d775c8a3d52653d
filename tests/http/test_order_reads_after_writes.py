"""Every read of an order shows every change at once, whichever way the order was written.

On SQLite each order's documents are kept while the database is unchanged (``OrderDocuments``):
getOrder's answer, and each order of getOrders' and getBusinessOrders' pages. Each test reads
the order twice first (so the second read is a kept one), writes it one way, and reads it again,
through each of the three methods. The same tests run on PostgreSQL, which reads every time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dbskit.database.db import Database
from dbskit.market.runtime import Runtime
from dbskit.market.storage.tables import orders
from tests.orders_support import FROZEN_AT, FrozenWall, Shops, expected_order

pytestmark = pytest.mark.usefixtures("wall")

Json = dict[str, Any]
Read = Callable[[Shops, int], Awaitable[httpx.Response]]


async def _get_order(shops: Shops, order_id: int) -> httpx.Response:
    return await shops.client.get(shops.path(order_id))


async def _get_orders(shops: Shops, order_id: int) -> httpx.Response:
    query = {"fake": "true", "orderIds": str(order_id)}  # test orders are listed with fake=true
    return await shops.client.get(f"/v2/campaigns/{shops.mine.campaign_id}/orders", params=query)


async def _get_business_orders(shops: Shops, order_id: int) -> httpx.Response:
    return await shops.client.post(
        f"/v1/businesses/{shops.mine.business_id}/orders",
        json={"fake": True, "orderIds": [order_id]},
    )


READERS: dict[str, Read] = {
    "getOrder": _get_order,
    "getOrders": _get_orders,
    "getBusinessOrders": _get_business_orders,
}


@pytest.fixture(params=list(READERS))
def method(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _order_of(method: str, response: httpx.Response) -> Json:
    assert response.status_code == 200, response.text
    if method == "getOrder":
        found: Json = response.json()["order"]
        return found
    (listed,) = response.json()["orders"]
    return dict(listed)


async def read_twice(shops: Shops, method: str, order_id: int) -> Json:
    first = await READERS[method](shops, order_id)
    second = await READERS[method](shops, order_id)
    assert first.content == second.content
    return _order_of(method, second)


async def read(shops: Shops, method: str, order_id: int) -> Json:
    return _order_of(method, await READERS[method](shops, order_id))


def _status(order: Json) -> tuple[str, str]:
    return order["status"], order["substatus"]


def _as_order_dto(method: str, expected: Json) -> Json | None:
    """What getOrder and getOrders show (the same OrderDTO); None for getBusinessOrders."""
    return None if method == "getBusinessOrders" else expected


@pytest.mark.rule("R-119", "R-120", "R-099")
async def test_a_status_change_by_the_store(shops: Shops, method: str, wall: FrozenWall) -> None:
    order = await shops.place()
    before = await read_twice(shops, method, order["id"])
    assert _status(before) == ("PROCESSING", "STARTED")
    assert _as_order_dto(method, before) in (None, expected_order(order))
    wall.moment += timedelta(minutes=5)
    change = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    response = await shops.client.put(f"{shops.path(order['id'])}/status", json=change)
    assert response.status_code == 200
    later = FROZEN_AT + timedelta(minutes=5)
    after = await read(shops, method, order["id"])
    assert _status(after) == ("PROCESSING", "READY_TO_SHIP")
    assert _as_order_dto(method, after) in (
        None,
        expected_order(order, substatus="READY_TO_SHIP", updated=later),
    )


@pytest.mark.rule("R-119", "R-120", "R-097")
async def test_a_status_change_by_the_market(shops: Shops, method: str) -> None:
    order = await shops.place(status="DELIVERY")
    before = await read_twice(shops, method, order["id"])
    assert _status(before) == ("DELIVERY", "DELIVERY_SERVICE_RECEIVED")
    assert (await shops.move(order["id"], "DELIVERY", "USER_RECEIVED")).status_code == 200
    assert _status(await read(shops, method, order["id"])) == ("DELIVERY", "USER_RECEIVED")


@pytest.mark.rule("R-119", "R-120", "R-034", "R-035")
async def test_marking_codes_sent_by_the_store(shops: Shops, method: str) -> None:
    order = await shops.place(
        items=[{"offerId": "shoes-1", "count": 1, "price": 2990, "marking": "UIN"}],
        buyer={"type": "BUSINESS"},
    )
    (item,) = (await read_twice(shops, method, order["id"]))["items"]
    assert "instances" not in item
    body = {"items": [{"id": item["id"], "instances": [{"uin": "1234567890123456"}]}]}
    response = await shops.client.put(f"{shops.path(order['id'])}/identifiers", json=body)
    assert response.status_code == 200, response.text
    (item,) = (await read(shops, method, order["id"]))["items"]
    assert item["instances"] == [{"uin": "1234567890123456"}]


@pytest.mark.rule("R-119", "R-120", "R-021")
async def test_a_track_sent_by_the_store(shops: Shops, method: str) -> None:
    order = await shops.place()
    assert "tracks" not in (await read_twice(shops, method, order["id"]))["delivery"]
    track = {"trackCode": "RA123456789RU", "deliveryServiceId": 51}
    response = await shops.client.post(f"{shops.path(order['id'])}/delivery/track", json=track)
    assert response.status_code == 200, response.text
    assert (await read(shops, method, order["id"]))["delivery"]["tracks"] == [track]


@pytest.mark.rule("R-119", "R-120", "R-011")
async def test_digital_keys_delivered_on_the_sandbox_clock(
    shops: Shops, method: str, app: FastAPI, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place(
        items=[{"offerId": "game-1", "count": 1, "price": 1500}], delivery={"type": "DIGITAL"}
    )
    (item,) = order["items"]
    keys = {
        "items": [
            {
                "id": item["id"],
                "codes": ["K-1"],
                "slip": "<p>Redeem at example.com</p>",
                "activate_till": "2030-12-31",
            }
        ]
    }
    response = await shops.client.post(f"{shops.path(order['id'])}/deliverDigitalGoods", json=keys)
    assert response.status_code == 200, response.text
    assert (await read_twice(shops, method, order["id"]))["status"] == "PROCESSING"
    runtime: Runtime = app.state.runtime
    delay = runtime.settings.digital_delivery_delay_seconds
    advanced = await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": delay}, headers=sandbox_headers
    )
    assert advanced.status_code == 200
    delivered = await read(shops, method, order["id"])
    assert _status(delivered) == ("DELIVERED", "DELIVERY_SERVICE_DELIVERED")


@pytest.mark.rule("R-119", "R-120")
async def test_a_change_made_by_another_process(shops: Shops, method: str, app: FastAPI) -> None:
    """Another instance on the same database (here: a second engine) writes the order."""
    order = await shops.place()
    assert (await read_twice(shops, method, order["id"]))["substatus"] == "STARTED"
    runtime: Runtime = app.state.runtime
    other = Database(runtime.db.url)
    try:
        with other.write() as conn:
            conn.execute(
                sa.update(orders).where(orders.c.id == order["id"]).values(substatus="SHIPPED")
            )
    finally:
        other.dispose()
    assert (await read(shops, method, order["id"]))["substatus"] == "SHIPPED"
