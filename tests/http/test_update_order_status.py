"""PUT v2/campaigns/{campaignId}/orders/{orderId}/status (R-098..R-100, R-103, R-104, R-112,
OQ-23, OQ-24, OQ-26). The whole table is checked in tests/unit/test_status_model.py; here each
rule is seen over HTTP, accepted and refused, with whole bodies."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import envelope
from tests.orders_support import (
    FROZEN_AT,
    FrozenWall,
    Shops,
    expected_order,
)
from tests.spec_schemas import assert_matches_schema

pytestmark = pytest.mark.usefixtures("wall")


async def put_status(shops: Shops, order_id: int, order: dict[str, Any]) -> httpx.Response:
    return await shops.client.put(f"{shops.path(order_id)}/status", json={"order": order})


@pytest.mark.rule("R-099", "R-104", "R-112")
async def test_documented_path_to_delivered(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    order = await shops.place()
    oid = order["id"]
    wall.moment += timedelta(minutes=5)
    ready = await put_status(shops, oid, {"status": "PROCESSING", "substatus": "READY_TO_SHIP"})
    assert ready.status_code == 200
    later = FROZEN_AT + timedelta(minutes=5)
    assert ready.json() == {
        "order": expected_order(order, substatus="READY_TO_SHIP", updated=later)
    }
    assert_matches_schema(ready.json(), "UpdateOrderStatusResponse")
    shipped = await put_status(
        shops, oid, {"status": "DELIVERY", "substatus": "DELIVERY_SERVICE_RECEIVED"}
    )
    assert shipped.json() == {
        "order": expected_order(
            order, status="DELIVERY", substatus="DELIVERY_SERVICE_RECEIVED", updated=later
        )
    }
    delivered = await put_status(shops, oid, {"status": "DELIVERED"})
    assert delivered.json() == {
        "order": expected_order(
            order,
            status="DELIVERED",
            substatus="DELIVERY_SERVICE_DELIVERED",
            updated=later,
            real_delivery_date="02-03-2030",
        )
    }
    assert (await client.get(shops.path(oid))).json() == delivered.json()


@pytest.mark.rule("R-099", "R-112", "OQ-22")
@pytest.mark.parametrize("start", ["STARTED", "READY_TO_SHIP"])
async def test_store_cancels_with_shop_failed(
    client: httpx.AsyncClient,
    shops: Shops,
    sandbox_headers: dict[str, str],
    wall: FrozenWall,
    start: str,
) -> None:
    order = await shops.place(substatus=start)
    response = await put_status(
        shops, order["id"], {"status": "CANCELLED", "substatus": "SHOP_FAILED"}
    )
    assert response.json() == {
        "order": expected_order(order, status="CANCELLED", substatus="SHOP_FAILED")
    }


@pytest.mark.rule("OQ-23")
async def test_repeating_the_current_state_changes_nothing(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    order = await shops.place(status="CANCELLED", substatus="SHOP_FAILED")
    wall.moment += timedelta(hours=1)
    response = await put_status(
        shops, order["id"], {"status": "CANCELLED", "substatus": "SHOP_FAILED"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "order": expected_order(order, status="CANCELLED", substatus="SHOP_FAILED")
    }


@pytest.mark.rule("R-098", "OQ-23", "OQ-24", "OQ-26")
@pytest.mark.parametrize(
    ("start", "change", "code", "message"),
    [
        pytest.param(
            {"status": "PROCESSING"},
            {"status": "PICKUP", "substatus": "PICKUP_SERVICE_RECEIVED"},
            "STATUS_NOT_ALLOWED",
            "Status PICKUP is not allowed for order {id} in PROCESSING/STARTED",
            id="skip-to-pickup",
        ),
        pytest.param(
            {"status": "PROCESSING", "substatus": "READY_TO_SHIP"},
            {"status": "PROCESSING", "substatus": "STARTED"},
            "STATUS_NOT_ALLOWED",
            "Status PROCESSING is not allowed for order {id} in PROCESSING/READY_TO_SHIP",
            id="backwards",
        ),
        pytest.param(
            {"status": "PROCESSING"},
            {"status": "CANCELLED", "substatus": "RESERVATION_EXPIRED"},
            "SUBSTATUS_NOT_ALLOWED",
            "Substatus RESERVATION_EXPIRED is not allowed with status CANCELLED for order {id} "
            "in PROCESSING/STARTED",
            id="market-only-reason",
        ),
        pytest.param(
            {"status": "DELIVERY"},
            {"status": "DELIVERY", "substatus": "USER_RECEIVED"},
            "STATUS_NOT_ALLOWED",
            "Status DELIVERY is not allowed for order {id} in DELIVERY/DELIVERY_SERVICE_RECEIVED",
            id="market-only-substatus",
        ),
        pytest.param(
            {"status": "DELIVERED"},
            {"status": "CANCELLED", "substatus": "SHOP_FAILED"},
            "ORDER_IN_TERMINAL_STATE",
            "Order is in terminal state: order {id} is DELIVERED",
            id="delivered-is-final",
        ),
        pytest.param(
            {"status": "CANCELLED", "substatus": "SHOP_FAILED"},
            {"status": "PROCESSING", "substatus": "READY_TO_SHIP"},
            "ORDER_IN_TERMINAL_STATE",
            "Order is in terminal state: order {id} is CANCELLED",
            id="cancelled-is-final",
        ),
        pytest.param(
            {"status": "PROCESSING"},
            {"status": "CANCELLED"},
            "BAD_REQUEST",
            "Missing field order.substatus",
            id="cancel-without-reason",
        ),
        pytest.param(
            {"status": "PROCESSING"},
            {"status": "CANCELLED", "substatus": "USER_UNREACHABLE"},
            "USER_UNREACHABLE_NOT_ALLOWED",
            "Cancelling with USER_UNREACHABLE needs at least 3 calls of 5 seconds or more between "
            "08:00 and 21:00 buyer time, at least 90 minutes between the first and the last",
            id="user-unreachable-without-calls",
        ),
        pytest.param(
            {"status": "PROCESSING"},
            {"status": "DELIVERY", "delivery": {"dates": {"realDeliveryDate": "2030-03-02"}}},
            "BAD_REQUEST",
            "Field order.delivery.dates.realDeliveryDate is allowed only with status PICKUP or "
            "DELIVERED",
            id="real-date-with-delivery",
        ),
        pytest.param(
            {"status": "DELIVERY"},
            {"status": "DELIVERED", "delivery": {"dates": {"realDeliveryDate": "2030-03-03"}}},
            "BAD_REQUEST",
            "Value of field order.delivery.dates.realDeliveryDate (2030-03-03) must not be in the "
            "future",
            id="real-date-tomorrow",
        ),
        pytest.param(
            {"status": "DELIVERY"},
            {"status": "DELIVERED", "delivery": {"dates": {"realDeliveryDate": "2030-03-01"}}},
            "BAD_REQUEST",
            "Value of field order.delivery.dates.realDeliveryDate (2030-03-01) must not be before "
            "the order's creation date (2030-03-02)",
            id="real-date-before-the-order",
        ),
        pytest.param(
            {"status": "PROCESSING"},
            {"status": "SHIPPED"},
            "BAD_REQUEST",
            "Invalid status: 'SHIPPED'",
            id="unknown-status",
        ),
        pytest.param(
            {"status": "PROCESSING"},
            {"status": "DELIVERY", "delivery": {"dates": {"realDeliveryDate": "02-03-2030"}}},
            "BAD_REQUEST",
            "Value of field order.delivery.dates.realDeliveryDate must be a date",
            id="real-date-format",
        ),
    ],
)
async def test_refused_changes_leave_the_order_as_it_was(
    client: httpx.AsyncClient,
    shops: Shops,
    sandbox_headers: dict[str, str],
    wall: FrozenWall,
    start: dict[str, Any],
    change: dict[str, Any],
    code: str,
    message: str,
) -> None:
    order = await shops.place(**start)
    response = await put_status(shops, order["id"], change)
    assert response.status_code == 400
    assert response.json() == envelope((code, message.format(id=order["id"])))
    assert (await client.get(shops.path(order["id"]))).json() == {"order": order}


@pytest.mark.rule("R-103")
async def test_real_delivery_date_in_the_past_is_kept(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    order = await shops.place(status="DELIVERY", delivery={"type": "PICKUP"})
    wall.moment += timedelta(days=2)
    response = await put_status(
        shops,
        order["id"],
        {"status": "PICKUP", "delivery": {"dates": {"realDeliveryDate": "2030-03-03"}}},
    )
    assert response.json() == {
        "order": expected_order(
            order,
            status="PICKUP",
            substatus="PICKUP_SERVICE_RECEIVED",
            delivery_type="PICKUP",
            updated=FROZEN_AT + timedelta(days=2),
            real_delivery_date="03-03-2030",
        )
    }


@pytest.mark.rule("R-100")
async def test_user_unreachable_after_the_required_calls(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    calls = [
        {"startedAt": f"2030-03-02T{hour}:00:00+03:00", "durationSeconds": 5}
        for hour in ("09", "10", "11")
    ]
    order = await shops.place(buyer={"type": "PERSON", "calls": calls})
    response = await put_status(
        shops, order["id"], {"status": "CANCELLED", "substatus": "USER_UNREACHABLE"}
    )
    assert response.json() == {
        "order": expected_order(order, status="CANCELLED", substatus="USER_UNREACHABLE")
    }


@pytest.mark.rule("OQ-13")
async def test_unknown_or_foreign_order_is_404(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place(campaign_id=shops.other.campaign_id)
    change = {"status": "CANCELLED", "substatus": "SHOP_FAILED"}
    for order_id in (order["id"], 1):
        response = await put_status(shops, order_id, change)
        assert response.status_code == 404
        assert response.json() == envelope(("NOT_FOUND", f"Order not found: '{order_id}'"))
    untouched = await client.get(
        shops.path(order["id"], shops.other.campaign_id), headers=shops.other.headers
    )
    assert untouched.json() == {"order": order}


@pytest.mark.rule("R-098", "OQ-23")
@pytest.mark.parametrize("settings_overrides", [{"parallel_limit": 10}])  # R-086 is not tested here
async def test_concurrent_changes_on_one_order_apply_one_after_the_other(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    """Stores race to deliver and to cancel one order: the first change wins, repeats of it are
    no-ops, and every other change finds the order closed. A lost update would let both win."""
    order = await shops.place(status="DELIVERY")
    deliver = {"status": "DELIVERED", "substatus": "DELIVERY_SERVICE_DELIVERED"}
    cancel = {"status": "CANCELLED", "substatus": "SHOP_FAILED"}
    sent = [deliver if i % 2 else cancel for i in range(10)]
    responses = await asyncio.gather(*(put_status(shops, order["id"], c) for c in sent))
    final = (await client.get(shops.path(order["id"]))).json()
    winner = deliver if final["order"]["status"] == "DELIVERED" else cancel
    for change, response in zip(sent, responses, strict=True):
        if change is winner:
            assert (response.status_code, response.json()) == (200, final)
        else:
            assert (response.status_code, response.json()) == (
                400,
                envelope(
                    (
                        "ORDER_IN_TERMINAL_STATE",
                        f"Order is in terminal state: order {order['id']} is "
                        f"{final['order']['status']}",
                    )
                ),
            )
