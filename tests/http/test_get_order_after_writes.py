"""GET order shows every change at once, whichever way the order was written.

On SQLite getOrder's answers are kept while the database is unchanged (``OrderAnswers``); each
test reads the order twice first (so the second answer is a kept one), writes it one way, and
reads it again. The same tests run on PostgreSQL, which reads every time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dbskit.database.db import Database
from dbskit.market.runtime import Runtime
from dbskit.market.storage.tables import orders
from tests.orders_support import FROZEN_AT, FrozenWall, Shops, expected_order

pytestmark = pytest.mark.usefixtures("wall")


async def read_twice(shops: Shops, order_id: int) -> dict[str, Any]:
    first = await shops.client.get(shops.path(order_id))
    second = await shops.client.get(shops.path(order_id))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    body: dict[str, Any] = second.json()
    return body


async def read(shops: Shops, order_id: int) -> dict[str, Any]:
    response = await shops.client.get(shops.path(order_id))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.rule("R-119", "R-099")
async def test_a_status_change_by_the_store(shops: Shops, wall: FrozenWall) -> None:
    order = await shops.place()
    assert await read_twice(shops, order["id"]) == {"order": expected_order(order)}
    wall.moment += timedelta(minutes=5)
    change = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    response = await shops.client.put(f"{shops.path(order['id'])}/status", json=change)
    assert response.status_code == 200
    later = FROZEN_AT + timedelta(minutes=5)
    assert await read(shops, order["id"]) == {
        "order": expected_order(order, substatus="READY_TO_SHIP", updated=later)
    }


@pytest.mark.rule("R-119", "R-097")
async def test_a_status_change_by_the_market(shops: Shops) -> None:
    order = await shops.place(status="DELIVERY")
    before = await read_twice(shops, order["id"])
    assert before == {
        "order": expected_order(order, status="DELIVERY", substatus="DELIVERY_SERVICE_RECEIVED")
    }
    assert (await shops.move(order["id"], "DELIVERY", "USER_RECEIVED")).status_code == 200
    assert await read(shops, order["id"]) == {
        "order": expected_order(order, status="DELIVERY", substatus="USER_RECEIVED")
    }


@pytest.mark.rule("R-119", "R-034", "R-035")
async def test_marking_codes_sent_by_the_store(shops: Shops) -> None:
    order = await shops.place(
        items=[{"offerId": "shoes-1", "count": 1, "price": 2990, "marking": "UIN"}],
        buyer={"type": "BUSINESS"},
    )
    (item,) = (await read_twice(shops, order["id"]))["order"]["items"]
    assert "instances" not in item
    body = {"items": [{"id": item["id"], "instances": [{"uin": "1234567890123456"}]}]}
    response = await shops.client.put(f"{shops.path(order['id'])}/identifiers", json=body)
    assert response.status_code == 200, response.text
    (item,) = (await read(shops, order["id"]))["order"]["items"]
    assert item["instances"] == [{"uin": "1234567890123456"}]


@pytest.mark.rule("R-119", "R-021")
async def test_a_track_sent_by_the_store(shops: Shops) -> None:
    order = await shops.place()
    assert "tracks" not in (await read_twice(shops, order["id"]))["order"]["delivery"]
    track = {"trackCode": "RA123456789RU", "deliveryServiceId": 51}
    response = await shops.client.post(f"{shops.path(order['id'])}/delivery/track", json=track)
    assert response.status_code == 200, response.text
    assert (await read(shops, order["id"]))["order"]["delivery"]["tracks"] == [track]


@pytest.mark.rule("R-119", "R-011")
async def test_digital_keys_delivered_on_the_sandbox_clock(
    shops: Shops, app: FastAPI, sandbox_headers: dict[str, str]
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
    assert (await read_twice(shops, order["id"]))["order"]["status"] == "PROCESSING"
    runtime: Runtime = app.state.runtime
    delay = runtime.settings.digital_delivery_delay_seconds
    advanced = await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": delay}, headers=sandbox_headers
    )
    assert advanced.status_code == 200
    delivered = (await read(shops, order["id"]))["order"]
    assert (delivered["status"], delivered["substatus"]) == (
        "DELIVERED",
        "DELIVERY_SERVICE_DELIVERED",
    )


@pytest.mark.rule("R-119")
async def test_a_change_made_by_another_process(shops: Shops, app: FastAPI) -> None:
    """Another instance on the same database (here: a second engine) writes the order."""
    order = await shops.place()
    assert (await read_twice(shops, order["id"]))["order"]["substatus"] == "STARTED"
    runtime: Runtime = app.state.runtime
    other = Database(runtime.db.url)
    try:
        with other.write() as conn:
            conn.execute(
                sa.update(orders).where(orders.c.id == order["id"]).values(substatus="SHIPPED")
            )
    finally:
        other.dispose()
    assert (await read(shops, order["id"]))["order"]["substatus"] == "SHIPPED"
