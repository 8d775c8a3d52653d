"""Sandbox test orders: placing them, the Market's own moves, the 48-hour buyer cancellation,
and the 10-day purge (R-025, R-027, R-097, R-101, R-102, R-107, R-111)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import envelope
from tests.orders_support import (
    FROZEN_AT,
    Shops,
    expected_order,
)
from tests.spec_schemas import assert_matches_schema

pytestmark = pytest.mark.usefixtures("wall")


@pytest.mark.rule("R-107", "R-119")
async def test_a_placed_order_is_fake_with_documented_defaults(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    response = await client.post(
        shops.sandbox_orders,
        json={
            "items": [{"offerId": "kettle-1", "count": 1, "price": 990}],
            "delivery": {"type": "DELIVERY"},
        },
        headers=sandbox_headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert body == {"order": expected_order(body["order"])}
    assert_matches_schema(body, "GetOrderResponse")
    fetched = await client.get(shops.path(body["order"]["id"]))
    assert fetched.status_code == 200
    assert fetched.json() == body


@pytest.mark.rule("R-025", "R-027", "R-107")
@pytest.mark.parametrize(
    ("buyer", "marking", "required"),
    [
        pytest.param("PERSON", "CIS", ["CIS_OPTIONAL"], id="person-cis-optional"),
        pytest.param("BUSINESS", "CIS", ["CIS"], id="business-cis"),
        pytest.param("PERSON", "UIN", ["UIN"], id="person-uin"),
        pytest.param("BUSINESS", "RNPT", ["RNPT"], id="business-rnpt"),
        pytest.param("PERSON", "GTD", ["GTD"], id="person-gtd"),
    ],
)
async def test_marking_becomes_required_instance_types(
    client: httpx.AsyncClient,
    shops: Shops,
    sandbox_headers: dict[str, str],
    buyer: str,
    marking: str,
    required: list[str],
) -> None:
    items = [
        {
            "offerId": " shoes-42 ",
            "offerName": "Shoes",
            "count": 2,
            "price": 1500.5,
            "vat": "VAT_20",
            "marking": marking,
        },
        {"offerId": "socks", "count": 3, "price": 99.99},
    ]
    order = await shops.place(
        items=items,
        buyer={"type": buyer},
        delivery={"type": "PICKUP", "price": 250},
    )
    expected_items = [
        {
            "offerId": "shoes-42",
            "offerName": "Shoes",
            "price": 1500.5,
            "buyerPrice": 1500.5,
            "buyerPriceBeforeDiscount": 1500.5,
            "count": 2,
            "vat": "VAT_20",
            "requiredInstanceTypes": required,
        },
        {
            "offerId": "socks",
            "offerName": "socks",
            "price": 99.99,
            "buyerPrice": 99.99,
            "buyerPriceBeforeDiscount": 99.99,
            "count": 3,
            "vat": "NO_VAT",
        },
    ]
    assert order == expected_order(
        order,
        items=expected_items,
        delivery_type="PICKUP",
        buyer_type=buyer,
        delivery_total=250.0,
    )
    assert order["itemsTotal"] == pytest.approx(3300.97)
    ids = [item["id"] for item in order["items"]]
    assert len(set(ids)) == 2 and all(100_000_000 <= i <= 999_999_999 for i in ids)
    assert 10_000_000_000 <= order["id"] <= 99_999_999_999


@pytest.mark.rule("R-107", "R-105")
async def test_a_digital_order_and_a_starting_state(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    digital = await shops.place(delivery={"type": "DIGITAL"})
    assert digital == expected_order(digital, delivery_type="DIGITAL")
    delivered = await shops.place(status="DELIVERED")
    assert delivered == expected_order(
        delivered,
        status="DELIVERED",
        substatus="DELIVERY_SERVICE_DELIVERED",
        real_delivery_date="02-03-2030",
    )


@pytest.mark.rule("R-107", "R-118")
async def test_delivery_service_and_region_from_the_directories(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place(delivery={"type": "POST", "serviceId": 1, "regionId": 2})
    assert order == expected_order(
        order,
        delivery_type="POST",
        service=(1, "Почта России"),
        region={"id": 2, "name": "Санкт-Петербург", "type": "CITY"},
    )


@pytest.mark.rule("R-107", "R-081")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"delivery": {"type": "DELIVERY"}}, "Missing field items", id="no-items"),
        pytest.param(
            {"items": [], "delivery": {"type": "DELIVERY"}},
            "Collection of field items must not be empty",
            id="empty-items",
        ),
        pytest.param(
            {"items": [{"offerId": "a", "count": 0, "price": 1}], "delivery": {"type": "DELIVERY"}},
            "Value / length of field items[0].count (0) must be greater than or equal to 1",
            id="zero-count",
        ),
        pytest.param(
            {
                "items": [{"offerId": "a", "count": 1, "price": 1.001}],
                "delivery": {"type": "DELIVERY"},
            },
            "Value of field items[0].price has too high scale",
            id="price-scale",
        ),
        pytest.param(
            {
                "items": [{"offerId": "a", "count": 1, "price": 1, "marking": "CIS_OPTIONAL"}],
                "delivery": {"type": "DELIVERY"},
            },
            "Value of field items[0].marking ('CIS_OPTIONAL') must be one of 'CIS', 'UIN', "
            "'RNPT' or 'GTD'",
            id="marking",
        ),
        pytest.param(
            {
                "items": [{"offerId": "a", "count": 5_001, "price": 1}],
                "delivery": {"type": "DIGITAL"},
            },
            "Value / length of field items[0].count (5001) must be less than or equal to 5000",
            id="more-units-than-keys-an-item-takes",
        ),
        pytest.param(
            {"items": [{"offerId": "a", "count": 1, "price": 1}], "delivery": {"type": "UNKNOWN"}},
            "Value of field delivery.type must be one of DELIVERY, PICKUP, POST, DIGITAL",
            id="unknown-delivery-type",
        ),
        pytest.param(
            {
                "items": [{"offerId": "a", "count": 1, "price": 1}],
                "delivery": {"type": "DELIVERY", "serviceId": 2},
            },
            "Value of field delivery.serviceId (2) is not a delivery service of "
            "GET v2/delivery/services",
            id="unknown-service",
        ),
        pytest.param(
            {
                "items": [{"offerId": "a", "count": 1, "price": 1}],
                "delivery": {"type": "DELIVERY", "regionId": 7},
            },
            "Value of field delivery.regionId (7) must be one of 1, 2, 3, 17, 22, 40, 43, 52, 54, "
            "59, 65, 149, 157, 213, 225, 10174, 10743, 10758, 10857, 11119, 11162, 11316, 20279, "
            "20290, 120542",
            id="unknown-region",
        ),
        pytest.param(
            {
                "items": [{"offerId": "a", "count": 1, "price": 1}],
                "delivery": {"type": "DELIVERY"},
                "status": "PICKUP",
            },
            "Value of fields status and substatus (PICKUP/PICKUP_SERVICE_RECEIVED) is not a state "
            "a DELIVERY order can be in",
            id="pickup-state-of-a-courier-order",
        ),
        pytest.param(
            {
                "items": [{"offerId": "a", "count": 1, "price": 1}],
                "delivery": {"type": "DELIVERY"},
                "status": "CANCELLED",
            },
            "Missing field substatus",
            id="cancelled-without-reason",
        ),
    ],
)
async def test_bad_orders_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    shops: Shops,
    sandbox_headers: dict[str, str],
    body: dict[str, Any],
    message: str,
) -> None:
    response = await client.post(shops.sandbox_orders, json=body, headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))
    listed = await client.get(shops.orders, params={"fake": "true"})
    assert listed.json()["orders"] == []


@pytest.mark.rule("R-107", "OQ-13")
async def test_an_unknown_campaign_is_404(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    response = await client.post(
        "/sandbox/campaigns/99/orders",
        json={"items": [{"offerId": "a", "count": 1, "price": 1}], "delivery": {"type": "POST"}},
        headers=sandbox_headers,
    )
    assert response.status_code == 404
    assert response.json() == envelope(("NOT_FOUND", "Campaign not found: '99'"))


@pytest.mark.rule("R-107")
async def test_the_sandbox_token_is_required(client: httpx.AsyncClient, shops: Shops) -> None:
    response = await client.post(shops.sandbox_orders, json={})
    assert response.status_code == 401
    assert response.json() == envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong"))


@pytest.mark.rule("R-097")
async def test_market_moves_buyer_received_then_delivered(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place(status="DELIVERY")
    received = await shops.move(order["id"], "DELIVERY", "USER_RECEIVED")
    assert received.status_code == 200
    assert received.json() == {
        "order": expected_order(order, status="DELIVERY", substatus="USER_RECEIVED")
    }
    delivered = await shops.move(order["id"], "DELIVERED", "DELIVERY_SERVICE_DELIVERED")
    assert delivered.json() == {
        "order": expected_order(
            order,
            status="DELIVERED",
            substatus="DELIVERY_SERVICE_DELIVERED",
        )
    }


@pytest.mark.rule("R-097", "R-098")
async def test_market_moves_outside_the_table_are_refused(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place()
    oid = order["id"]
    response = await shops.move(oid, "DELIVERY", "USER_RECEIVED")
    assert response.status_code == 400
    assert response.json() == envelope(
        (
            "STATUS_NOT_ALLOWED",
            f"Status DELIVERY is not allowed for order {oid} in PROCESSING/STARTED",
        )
    )
    response = await shops.move(oid, "CANCELLED", "PICKUP_EXPIRED")
    assert response.json() == envelope(
        (
            "SUBSTATUS_NOT_ALLOWED",
            f"Substatus PICKUP_EXPIRED is not allowed with status CANCELLED for order {oid} in "
            "PROCESSING/STARTED",
        )
    )
    cancelled = await shops.move(oid, "CANCELLED", "USER_CHANGED_MIND")
    assert cancelled.status_code == 200
    response = await shops.move(oid, "DELIVERY", "USER_RECEIVED")
    assert response.json() == envelope(
        ("ORDER_IN_TERMINAL_STATE", f"Order is in terminal state: order {oid} is CANCELLED")
    )
    unknown = await shops.move(123, "CANCELLED", "USER_CHANGED_MIND")
    assert unknown.status_code == 404
    assert unknown.json() == envelope(("NOT_FOUND", "Order not found: '123'"))


@pytest.mark.rule("R-102")
async def test_buyer_cancellation_while_processing_applies_at_once(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place(status="PROCESSING", substatus="READY_TO_SHIP")
    response = await shops.move(order["id"], "CANCELLED", "USER_CHANGED_MIND")
    assert response.json() == {
        "order": expected_order(order, status="CANCELLED", substatus="USER_CHANGED_MIND")
    }


@pytest.mark.rule("R-102", "R-120")
async def test_buyer_cancellation_in_delivery_waits_48_hours_then_cancels(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place(status="DELIVERY")
    oid = order["id"]
    waiting = await shops.move(oid, "CANCELLED", "USER_REFUSED_DELIVERY")
    assert waiting.json() == {
        "order": expected_order(
            order, status="DELIVERY", substatus="DELIVERY_SERVICE_RECEIVED", cancel_requested=True
        )
    }
    listed = await client.get(
        shops.orders,
        params={"fake": "true", "onlyWaitingForCancellationApprove": "true"},
    )
    assert [o["id"] for o in listed.json()["orders"]] == [oid]

    clock = "/sandbox/clock"
    await client.post(clock, json={"advanceSeconds": 48 * 3600 - 1}, headers=sandbox_headers)
    still = await client.get(shops.path(oid))
    assert (still.json()["order"]["status"], still.json()["order"]["cancelRequested"]) == (
        "DELIVERY",
        True,
    )
    await client.post(clock, json={"advanceSeconds": 1}, headers=sandbox_headers)
    from datetime import timedelta

    cancelled = await client.get(shops.path(oid))
    assert cancelled.json() == {
        "order": expected_order(
            order,
            status="CANCELLED",
            substatus="USER_REFUSED_DELIVERY",
            updated=FROZEN_AT + timedelta(hours=48),
        )
    }


@pytest.mark.rule("R-102", "R-099")
async def test_a_request_the_store_answered_does_not_cancel_later(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place(status="DELIVERY")
    oid = order["id"]
    await shops.move(oid, "CANCELLED", "USER_CHANGED_MIND")
    delivered = await client.put(
        f"{shops.path(oid)}/status", json={"order": {"status": "DELIVERED"}}
    )
    assert delivered.status_code == 200
    assert delivered.json()["order"]["cancelRequested"] is False
    await client.post("/sandbox/clock", json={"advanceSeconds": 49 * 3600}, headers=sandbox_headers)
    after = await client.get(shops.path(oid))
    assert (after.json()["order"]["status"], after.json()["order"]["substatus"]) == (
        "DELIVERED",
        "DELIVERY_SERVICE_DELIVERED",
    )


@pytest.mark.rule("R-111")
@pytest.mark.parametrize("settings_overrides", [{"test_order_retention_days": 10}])
async def test_test_orders_are_purged_after_10_days(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place()
    clock = "/sandbox/clock"
    await client.post(clock, json={"advanceSeconds": 10 * 86400 - 1}, headers=sandbox_headers)
    assert (await client.get(shops.path(order["id"]))).status_code == 200
    await client.post(clock, json={"advanceSeconds": 1}, headers=sandbox_headers)
    gone = await client.get(shops.path(order["id"]))
    assert gone.status_code == 404
    assert gone.json() == envelope(("NOT_FOUND", f"Order not found: '{order['id']}'"))


@pytest.mark.rule("R-111")
@pytest.mark.parametrize("settings_overrides", [{"test_order_retention_days": 1}])
async def test_retention_is_configurable(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place()
    await client.post("/sandbox/clock", json={"advanceSeconds": 86400}, headers=sandbox_headers)
    assert (await client.get(shops.path(order["id"]))).status_code == 404
