"""How a DIGITAL order reaches the buyer (spec DigitalGoodsDeliveryType): keys for EMAIL and
ACTIVATION_CODE, the seller's own delivery and mark for STEAM_GIFT and CHAT (R-105, OQ-26;
docs/decisions.md, "The status model (R-097..R-103, OQ-23, OQ-24, OQ-26)")."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import envelope
from tests.orders_support import FROZEN_AT, FrozenWall, Shops

pytestmark = pytest.mark.usefixtures("wall")

STATUS_MODEL = "The status model (R-097..R-103, OQ-23, OQ-24, OQ-26)"
SPEC_2026 = {"profile": "2026"}
DAY = "2030-12-31"
STEAM_LINK = re.compile(r"https://s\.team/p/m[A-Z]{2}-[A-Z]{3}/[A-Z]{8}")


async def digital(shops: Shops, kind: str | None, **goods: Any) -> dict[str, Any]:
    delivery: dict[str, Any] = {"type": "DIGITAL"}
    if kind is not None:
        delivery["digitalGoods"] = {"type": kind, **goods}
    return await shops.place(
        items=[{"offerId": "game-1", "count": 1, "price": 1500}], delivery=delivery
    )


async def business_order(shops: Shops, order_id: int) -> dict[str, Any]:
    response = await shops.client.post(
        f"/v1/businesses/{shops.mine.business_id}/orders",
        json={"fake": True, "orderIds": [order_id]},
    )
    assert response.status_code == 200
    (found,) = response.json()["orders"]
    result: dict[str, Any] = found
    return result


async def sandbox_view(shops: Shops, order_id: int) -> dict[str, Any]:
    response = await shops.client.get(
        f"{shops.sandbox_orders}/{order_id}", headers=shops.sandbox_headers
    )
    assert response.status_code == 200
    view: dict[str, Any] = response.json()
    return view


async def deliver_keys(shops: Shops, order: dict[str, Any]) -> Any:
    body = {
        "items": [
            {"id": order["items"][0]["id"], "codes": ["K-1"], "slip": "s", "activate_till": DAY}
        ]
    }
    return await shops.client.post(f"{shops.path(order['id'])}/deliverDigitalGoods", json=body)


async def mark_delivered(shops: Shops, order_id: int) -> Any:
    return await shops.client.put(
        f"{shops.path(order_id)}/status", json={"order": {"status": "DELIVERED"}}
    )


@pytest.mark.rule("R-105", "OQ-26")
@pytest.mark.decision(STATUS_MODEL)
async def test_seed_profile_knows_only_email(shops: Shops) -> None:
    order = await digital(shops, None)
    assert (await business_order(shops, order["id"]))["delivery"]["digitalGoods"] == {
        "type": "EMAIL"
    }
    response = await shops.client.post(
        shops.sandbox_orders,
        json={
            "items": [{"offerId": "game-1", "count": 1, "price": 1500}],
            "delivery": {"type": "DIGITAL", "digitalGoods": {"type": "STEAM_GIFT"}},
        },
        headers=shops.sandbox_headers,
    )
    assert response.status_code == 400
    assert response.json() == envelope(
        (
            "BAD_REQUEST",
            "Value of field delivery.digitalGoods.type (STEAM_GIFT) needs --profile 2026: under "
            "--profile seed every DIGITAL order is EMAIL",
        )
    )


@pytest.mark.rule("R-105", "OQ-26")
@pytest.mark.decision(STATUS_MODEL)
@pytest.mark.parametrize("settings_overrides", [SPEC_2026])
@pytest.mark.parametrize("kind", ["STEAM_GIFT", "CHAT"])
async def test_the_seller_delivers_and_marks_a_steam_gift_or_chat_order(
    shops: Shops, kind: str
) -> None:
    order = await digital(shops, kind)
    goods = (await business_order(shops, order["id"]))["delivery"]["digitalGoods"]
    assert goods["type"] == kind
    if kind == "STEAM_GIFT":
        assert STEAM_LINK.fullmatch(goods["steamLink"])
    else:
        assert "steamLink" not in goods
    refused = await deliver_keys(shops, order)
    assert refused.status_code == 400
    assert refused.json() == envelope(
        (
            "BAD_REQUEST",
            f"Order {order['id']} is a {kind} digital order: the seller delivers it and marks it "
            "DELIVERED through PUT status; keys are accepted only for EMAIL and ACTIVATION_CODE "
            "orders",
        )
    )
    # The Market never sets DELIVERED on it ...
    market = await shops.move(order["id"], "DELIVERED")
    assert market.status_code == 400
    # ... the seller does, and the 30-minute key window does not apply.
    view = await sandbox_view(shops, order["id"])
    assert "lateness" not in view
    marked = await mark_delivered(shops, order["id"])
    assert marked.status_code == 200, marked.text
    assert (marked.json()["order"]["status"], marked.json()["order"]["substatus"]) == (
        "DELIVERED",
        "DELIVERY_SERVICE_DELIVERED",
    )


@pytest.mark.rule("R-105", "OQ-26")
@pytest.mark.decision(STATUS_MODEL)
@pytest.mark.parametrize("settings_overrides", [SPEC_2026])
@pytest.mark.parametrize("kind", [None, "EMAIL", "ACTIVATION_CODE"])
async def test_key_orders_take_keys_and_may_not_be_marked_by_the_seller(
    shops: Shops, kind: str | None
) -> None:
    order = await digital(shops, kind)
    assert (await business_order(shops, order["id"]))["delivery"]["digitalGoods"] == {
        "type": kind or "EMAIL"
    }
    marked = await mark_delivered(shops, order["id"])
    assert marked.status_code == 400
    assert marked.json()["errors"][0]["code"] == "STATUS_NOT_ALLOWED"
    accepted = await deliver_keys(shops, order)
    assert accepted.status_code == 200, accepted.text
    assert (await sandbox_view(shops, order["id"]))["lateness"]["windowMinutes"] == 30


@pytest.mark.rule("OQ-26")
@pytest.mark.decision(STATUS_MODEL)
@pytest.mark.parametrize("settings_overrides", [SPEC_2026])
async def test_an_unmarked_steam_gift_is_warned_about_after_three_hours(
    shops: Shops, wall: FrozenWall
) -> None:
    link = "https://s.team/p/mab-cde/FGHIJKLM"
    order = await digital(shops, "STEAM_GIFT", steamLink=link)
    mark_by = (FROZEN_AT + timedelta(hours=3)).isoformat().replace("+00:00", "Z")
    on_time = (await sandbox_view(shops, order["id"]))["digitalDelivery"]
    assert on_time == {"type": "STEAM_GIFT", "steamLink": link, "markBy": mark_by}
    wall.moment += timedelta(hours=3)
    assert "warning" not in (await sandbox_view(shops, order["id"]))["digitalDelivery"]
    wall.moment += timedelta(seconds=1)
    late = (await sandbox_view(shops, order["id"]))["digitalDelivery"]
    assert late["warning"] == (
        f"Steam gift order {order['id']} was not marked DELIVERED by "
        f"{(FROZEN_AT + timedelta(hours=3)).isoformat()}: the Market expects it within 3 hours "
        "of the order entering PROCESSING"
    )
    assert (await mark_delivered(shops, order["id"])).status_code == 200
    assert "warning" not in (await sandbox_view(shops, order["id"]))["digitalDelivery"]


@pytest.mark.rule("OQ-26")
@pytest.mark.parametrize("settings_overrides", [SPEC_2026])
async def test_test_order_refusals(shops: Shops) -> None:
    cases = [
        (
            {"type": "DELIVERY", "digitalGoods": {"type": "EMAIL"}},
            "Field delivery.digitalGoods is only for DIGITAL orders, not DELIVERY",
        ),
        (
            {"type": "DIGITAL", "digitalGoods": {"type": "CHAT", "steamLink": "https://s.team/x"}},
            "Field delivery.digitalGoods.steamLink is only for STEAM_GIFT orders, not CHAT",
        ),
        (
            {"type": "DIGITAL", "digitalGoods": {"type": "POST"}},
            "Value of field delivery.digitalGoods.type ('POST') must be one of",
        ),
    ]
    for delivery, message in cases:
        response = await shops.client.post(
            shops.sandbox_orders,
            json={"items": [{"offerId": "g", "count": 1, "price": 1}], "delivery": delivery},
            headers=shops.sandbox_headers,
        )
        assert response.status_code == 400, delivery
        assert response.json()["errors"][0]["message"].startswith(message), response.text
