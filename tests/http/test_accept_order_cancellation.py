"""PUT v2/campaigns/{campaignId}/orders/{orderId}/cancellation/accept (acceptOrderCancellation):
the store answers a buyer's cancellation request (R-102; docs/decisions.md, "Answering a buyer's
cancellation (OQ-28)")."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import envelope
from tests.orders_support import FrozenWall, Shops

pytestmark = pytest.mark.usefixtures("wall")

DECISION = "Answering a buyer's cancellation (OQ-28)"


def accept_path(shops: Shops, order_id: int | str) -> str:
    return f"{shops.path(order_id)}/cancellation/accept"


async def requested(shops: Shops, status: str = "DELIVERY") -> dict[str, Any]:
    """A test order in ``status`` whose buyer asked to cancel it."""
    delivery = {"type": "PICKUP" if status == "PICKUP" else "DELIVERY"}
    order = await shops.place(status=status, delivery=delivery)
    assert (await shops.move(order["id"], "CANCELLED", "USER_CHANGED_MIND")).status_code == 200
    return order


async def get_order(shops: Shops, order_id: int) -> dict[str, Any]:
    response = await shops.client.get(shops.path(order_id))
    assert response.status_code == 200
    found: dict[str, Any] = response.json()["order"]
    return found


async def notification_types(shops: Shops, order_id: int) -> list[str]:
    response = await shops.client.get(
        "/sandbox/outbox",
        params={"campaignId": shops.mine.campaign_id, "orderId": order_id},
        headers=shops.sandbox_headers,
    )
    return [message["payload"]["notificationType"] for message in response.json()["messages"]]


@pytest.mark.rule("R-102", "OQ-25")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("status", ["DELIVERY", "PICKUP"])
async def test_accepting_cancels_for_the_buyers_reason(
    shops: Shops, wall: FrozenWall, status: str
) -> None:
    order = await requested(shops, status)
    wall.moment += timedelta(hours=1)
    response = await shops.client.put(accept_path(shops, order["id"]), json={"accepted": True})
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}
    found = await get_order(shops, order["id"])
    assert (found["status"], found["substatus"]) == ("CANCELLED", "USER_CHANGED_MIND")
    assert found["cancelRequested"] is False
    assert await notification_types(shops, order["id"]) == [
        "ORDER_CREATED",
        "ORDER_CANCELLATION_REQUEST",
        "ORDER_STATUS_UPDATED",
        "ORDER_CANCELLED",
    ]


@pytest.mark.rule("R-102")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("reason", ["ORDER_DELIVERED", "ORDER_IN_DELIVERY"])
async def test_rejecting_keeps_the_status_and_closes_the_request(shops: Shops, reason: str) -> None:
    order = await requested(shops)
    response = await shops.client.put(
        accept_path(shops, order["id"]), json={"accepted": False, "reason": reason}
    )
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}
    found = await get_order(shops, order["id"])
    assert (found["status"], found["substatus"], found["cancelRequested"]) == (
        "DELIVERY",
        "DELIVERY_SERVICE_RECEIVED",
        False,
    )
    # No status notification, and the 48 hours pass without the automatic cancellation.
    await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": 49 * 3600}, headers=shops.sandbox_headers
    )
    assert (await get_order(shops, order["id"]))["status"] == "DELIVERY"
    assert await notification_types(shops, order["id"]) == [
        "ORDER_CREATED",
        "ORDER_CANCELLATION_REQUEST",
    ]
    # The request is closed: answering it again is 400.
    again = await shops.client.put(accept_path(shops, order["id"]), json={"accepted": True})
    assert again.status_code == 400
    assert again.json() == envelope(
        ("BAD_REQUEST", f"Order {order['id']} has no cancellation request to answer")
    )


@pytest.mark.rule("R-102")
@pytest.mark.decision(DECISION)
async def test_a_listed_request_disappears_once_answered(shops: Shops) -> None:
    order = await requested(shops)
    waiting = {"fake": True, "waitingForCancellationApprove": True}
    path = f"/v1/businesses/{shops.mine.business_id}/orders"
    listed = await shops.client.post(path, json=waiting)
    assert [o["orderId"] for o in listed.json()["orders"]] == [order["id"]]
    assert listed.json()["orders"][0]["cancelRequested"] is True
    await shops.client.put(
        accept_path(shops, order["id"]), json={"accepted": False, "reason": "ORDER_DELIVERED"}
    )
    assert (await shops.client.post(path, json=waiting)).json()["orders"] == []


@pytest.mark.rule("R-102")
@pytest.mark.decision(DECISION)
async def test_refusals_and_their_messages(shops: Shops) -> None:
    processing = await shops.place()
    delivering = await shops.place(status="DELIVERY")
    cases: list[tuple[int | str, Any, str]] = [
        (
            delivering["id"],
            {"accepted": False},
            "Missing field reason: a rejected cancellation needs one of ORDER_DELIVERED, "
            "ORDER_IN_DELIVERY",
        ),
        (
            processing["id"],
            {"accepted": True},
            f"Order {processing['id']} is in status PROCESSING: a buyer's cancellation is "
            "answered only in DELIVERY or PICKUP",
        ),
        (
            delivering["id"],
            {"accepted": True},
            f"Order {delivering['id']} has no cancellation request to answer",
        ),
        (delivering["id"], {}, "Missing field accepted"),
        (delivering["id"], {"accepted": "yes"}, "Value of field accepted must be a boolean"),
        (
            delivering["id"],
            {"accepted": False, "reason": "LATE"},
            "Value of field reason ('LATE') must be one of",
        ),
        ("abc", {"accepted": True}, "Value of field orderId must be an integer"),
    ]
    for order_id, body, message in cases:
        response = await shops.client.put(accept_path(shops, order_id), json=body)
        assert response.status_code == 400, (body, response.text)
        [error] = response.json()["errors"]
        assert error["code"] == "BAD_REQUEST"
        assert error["message"].startswith(message), (body, error)
    # A request body that cannot be right is refused before the order is looked up.
    unknown = await shops.client.put(accept_path(shops, 42), json={"accepted": False})
    assert unknown.status_code == 400
    missing = await shops.client.put(accept_path(shops, 42), json={"accepted": True})
    assert missing.status_code == 404
    assert missing.json() == envelope(("NOT_FOUND", "Order not found: '42'"))
    # Nothing changed on the orders refused.
    assert (await get_order(shops, delivering["id"]))["cancelRequested"] is False


@pytest.mark.rule("R-102")
@pytest.mark.decision(DECISION)
async def test_an_order_of_another_campaign_is_404(shops: Shops) -> None:
    theirs = await shops.place(campaign_id=shops.other.campaign_id, status="DELIVERY")
    response = await shops.client.put(accept_path(shops, theirs["id"]), json={"accepted": True})
    assert response.status_code == 404


@pytest.mark.rule("R-102")
async def test_the_automatic_cancellation_still_comes_without_an_answer(shops: Shops) -> None:
    order = await requested(shops)
    await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": 48 * 3600}, headers=shops.sandbox_headers
    )
    found = await get_order(shops, order["id"])
    assert (found["status"], found["substatus"]) == ("CANCELLED", "USER_CHANGED_MIND")
    late = await shops.client.put(accept_path(shops, order["id"]), json={"accepted": True})
    assert late.status_code == 400
    assert late.json()["errors"][0]["message"].endswith("answered only in DELIVERY or PICKUP")


@pytest.mark.rule("R-102")
@pytest.mark.decision(DECISION)
async def test_simultaneous_answers_apply_one_after_the_other(shops: Shops) -> None:
    order = await requested(shops)
    path = accept_path(shops, order["id"])
    # Two at once: a token's parallel budget for the method.
    answers = await asyncio.gather(
        shops.client.put(path, json={"accepted": True}),
        shops.client.put(path, json={"accepted": False, "reason": "ORDER_IN_DELIVERY"}),
    )
    assert sorted(answer.status_code for answer in answers) == [200, 400]
    types = await notification_types(shops, order["id"])
    assert types.count("ORDER_CANCELLED") == types.count("ORDER_STATUS_UPDATED") <= 1
