"""Each order's status history: every way an order's status changes leaves one row saying from
what, to what, when on the sandbox clock and who made it (docs/decisions.md, "Status history")."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dbskit.contract import limits
from dbskit.market.storage.status_history import Actor, StatusChangeRecord, status_history
from dbskit.market.storage.tables import orders
from tests.factories import SANDBOX, runtime_of
from tests.orders_support import FROZEN_AT, FrozenWall, Shops

pytestmark = pytest.mark.usefixtures("wall")

DECISION = "Status history"
Move = tuple[str | None, str | None, str, str | None, Actor]  # from, to, by whom


def history(app: FastAPI, order_id: int) -> list[StatusChangeRecord]:
    with runtime_of(app).db.read() as conn:
        return status_history(conn, order_id)


def moves(app: FastAPI, order_id: int) -> list[Move]:
    return [
        (
            change.from_status,
            change.from_substatus,
            change.to_status,
            change.to_substatus,
            change.actor,
        )
        for change in history(app, order_id)
    ]


def assert_history_ends_at_every_status(app: FastAPI) -> None:
    """Every order's last change leads to the status it has: no change went unrecorded."""
    with runtime_of(app).db.read() as conn:
        rows = conn.execute(sa.select(orders.c.id, orders.c.status, orders.c.substatus)).all()
        for order_id, status, substatus in rows:
            last = status_history(conn, order_id)[-1]
            assert (last.to_status, last.to_substatus) == (status, substatus), order_id


async def advance(shops: Shops, seconds: float) -> None:
    response = await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": seconds}, headers=SANDBOX
    )
    assert response.status_code == 200, response.text


async def seller_moves(shops: Shops, order_id: int, **order: str) -> None:
    response = await shops.client.put(f"{shops.path(order_id)}/status", json={"order": order})
    assert response.status_code == 200, response.text


async def trigger(shops: Shops, order_id: int, event: str, body: Any = None) -> None:
    path = f"{shops.sandbox_orders}/{order_id}/triggers/{event}"
    response = await shops.client.post(path, json=body, headers=SANDBOX)
    assert response.status_code == 200, response.text


@pytest.mark.rule("R-099", "R-097")
@pytest.mark.decision(DECISION)
async def test_the_seller_the_sandbox_and_the_buyer_each_named(
    app: FastAPI, shops: Shops, wall: FrozenWall
) -> None:
    order = await shops.place()
    oid = order["id"]
    wall.moment += timedelta(minutes=5)
    await seller_moves(shops, oid, status="PROCESSING", substatus="READY_TO_SHIP")
    await seller_moves(shops, oid, status="PROCESSING", substatus="READY_TO_SHIP")  # no change
    await seller_moves(shops, oid, status="DELIVERY", substatus="DELIVERY_SERVICE_RECEIVED")
    await trigger(shops, oid, "buyer-received")
    assert (await shops.move(oid, "DELIVERY", "DELIVERY_USER_NOT_RECEIVED")).status_code == 200
    await seller_moves(shops, oid, status="DELIVERED")

    ready, received, user = "READY_TO_SHIP", "DELIVERY_SERVICE_RECEIVED", "USER_RECEIVED"
    assert moves(app, oid) == [
        (None, None, "PROCESSING", "STARTED", Actor.SANDBOX),
        ("PROCESSING", "STARTED", "PROCESSING", ready, Actor.SELLER),
        ("PROCESSING", ready, "DELIVERY", received, Actor.SELLER),
        ("DELIVERY", received, "DELIVERY", user, Actor.BUYER),
        ("DELIVERY", user, "DELIVERY", "DELIVERY_USER_NOT_RECEIVED", Actor.SANDBOX),
        ("DELIVERY", "DELIVERY_USER_NOT_RECEIVED", "DELIVERED", "DELIVERY_SERVICE_DELIVERED",
         Actor.SELLER),
    ]  # fmt: skip
    changes = history(app, oid)
    offset = runtime_of(app).clock.offset
    assert changes[0].at == FROZEN_AT + offset  # the sandbox clock's time, not the wall's
    assert {change.at for change in changes[1:]} == {FROZEN_AT + timedelta(minutes=5) + offset}
    assert_history_ends_at_every_status(app)


@pytest.mark.rule("R-102")
@pytest.mark.decision(DECISION)
async def test_a_buyers_request_answered_by_the_seller_or_left_to_the_market(
    app: FastAPI, shops: Shops
) -> None:
    answered = await shops.place(status="DELIVERY")
    unanswered = await shops.place(status="DELIVERY")
    at_once = await shops.place()  # PROCESSING: the buyer's cancellation is immediate
    for order in (answered, unanswered):
        await trigger(shops, order["id"], "buyer-cancellation", {"reason": "USER_CHANGED_MIND"})
    await trigger(shops, at_once["id"], "buyer-cancellation")
    accept = f"{shops.path(answered['id'])}/cancellation/accept"
    response = await shops.client.put(accept, json={"accepted": True})
    assert response.status_code == 200, response.text
    await advance(shops, limits.BUYER_CANCELLATION_WINDOW.total_seconds())

    cancelled = ("DELIVERY", "DELIVERY_SERVICE_RECEIVED", "CANCELLED", "USER_CHANGED_MIND")
    assert moves(app, answered["id"])[1:] == [(*cancelled, Actor.SELLER)]
    assert moves(app, unanswered["id"])[1:] == [(*cancelled, Actor.MARKET)]
    ((*_, to_status, _to_substatus, actor),) = moves(app, at_once["id"])[1:]
    assert (to_status, actor) == ("CANCELLED", Actor.BUYER)
    assert_history_ends_at_every_status(app)


@pytest.mark.rule("R-011", "OQ-04")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("settings_overrides", [{"cancel_late_digital": True}])
async def test_the_markets_own_rules_move_digital_orders(
    app: FastAPI, shops: Shops, wall: FrozenWall
) -> None:
    game = {"offerId": "game-1", "count": 1, "price": 1500}
    emailed = await shops.place(items=[game], delivery={"type": "DIGITAL"})
    late = await shops.place(items=[game], delivery={"type": "DIGITAL"})

    def keys(order: dict[str, Any]) -> dict[str, Any]:
        item = order["items"][0]["id"]
        return {
            "items": [{"id": item, "codes": ["K-1"], "slip": "s", "activate_till": "2030-12-31"}]
        }

    response = await shops.client.post(
        f"{shops.path(emailed['id'])}/deliverDigitalGoods", json=keys(emailed)
    )
    assert response.status_code == 200, response.text
    await advance(shops, 3600)  # the keys' e-mail goes out; DELIVERED follows it
    wall.moment += limits.DIGITAL_CODES_WINDOW + timedelta(hours=2)
    response = await shops.client.post(
        f"{shops.path(late['id'])}/deliverDigitalGoods", json=keys(late)
    )
    assert response.status_code == 400  # too late: the Market cancels the order

    assert [move[2:] for move in moves(app, emailed["id"])[1:]] == [
        ("DELIVERED", "DELIVERY_SERVICE_DELIVERED", Actor.MARKET)
    ]
    assert [move[2:] for move in moves(app, late["id"])[1:]] == [
        ("CANCELLED", "SHOP_FAILED", Actor.MARKET)
    ]
    assert_history_ends_at_every_status(app)


@pytest.mark.rule("R-107", "R-102")
@pytest.mark.decision(DECISION)
async def test_a_scenario_places_orders_as_the_sandbox(app: FastAPI, shops: Shops) -> None:
    item = {"offerId": "kettle-1", "count": 1, "price": 990}
    body = {
        "entries": [
            {"name": "shipped", "order": {"campaignId": shops.mine.campaign_id, "items": [item],
                                          "delivery": {"type": "DELIVERY"}, "status": "DELIVERY"}},
            {"name": "asked", "cancellationRequest": {"order": "shipped",
                                                      "reason": "USER_CHANGED_MIND"}},
            {"name": "fresh", "order": {"campaignId": shops.mine.campaign_id, "items": [item],
                                        "delivery": {"type": "DELIVERY"}, "status": "CANCELLED",
                                        "substatus": "USER_CHANGED_MIND"}},
        ]
    }  # fmt: skip
    response = await shops.client.post(
        "/sandbox/scenarios",
        content=json.dumps(body),
        headers={**SANDBOX, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    names = response.json()["names"]

    assert moves(app, names["shipped"]["id"]) == [
        (None, None, "DELIVERY", "DELIVERY_SERVICE_RECEIVED", Actor.SANDBOX)
    ]  # a request is not a change of status
    assert moves(app, names["fresh"]["id"]) == [
        (None, None, "CANCELLED", "USER_CHANGED_MIND", Actor.SANDBOX)
    ]
    assert_history_ends_at_every_status(app)


@pytest.mark.decision(DECISION)
async def test_a_purged_order_takes_its_history_along(app: FastAPI, shops: Shops) -> None:
    order = await shops.place()
    assert len(history(app, order["id"])) == 1
    await advance(shops, limits.TEST_ORDER_RETENTION.total_seconds())
    assert history(app, order["id"]) == []
