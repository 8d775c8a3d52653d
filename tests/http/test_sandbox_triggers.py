"""POST /sandbox/.../triggers/<event>: the Market's and the buyer's side on demand.

Each trigger answers the outbox entries it recorded; every body is checked against the Market's
notification spec (notification-api.yaml).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import envelope
from tests.factories import SANDBOX
from tests.notification_schemas import assert_valid_notification
from tests.orders_support import FrozenWall, Shops, expected_order

NOW = "2030-03-02T06:00:00Z"  # FROZEN_AT as the outbox writes it
STORE_URL = "http://127.0.0.1:9/store"


def trigger(shops: Shops, order_id: int, event: str) -> str:
    return f"{shops.sandbox_orders}/{order_id}/triggers/{event}"


async def fire(shops: Shops, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return await shops.client.post(path, json=body, headers=SANDBOX)


def notification(
    campaign_id: int, payload: dict[str, Any], answer: dict[str, Any], *, url: str | None = None
) -> dict[str, Any]:
    """An outbox entry as recorded at NOW; id from ``answer``, which the test compares whole."""
    entry: dict[str, Any] = {
        "id": answer["id"],
        "kind": "notification",
        "campaignId": campaign_id,
        "createdAt": NOW,
        "state": "PENDING" if url else "NOT_SENT",
        "payload": payload,
        "attempts": [],
    }
    if "orderId" in payload:
        entry["orderId"] = payload["orderId"]
    if url:
        entry |= {"notificationUrl": url, "nextAttemptAt": NOW}
    return entry


async def assert_in_outbox(shops: Shops, notifications: list[dict[str, Any]]) -> None:
    """The answer lists what GET /sandbox/outbox shows, and the bodies follow the spec."""
    listing = await shops.client.get(
        "/sandbox/outbox", params={"campaignId": shops.mine.campaign_id}, headers=SANDBOX
    )
    shown = {message["id"]: message for message in listing.json()["messages"]}
    for sent in notifications:
        assert shown[sent["id"]] == sent
        assert_valid_notification(sent["payload"])


@pytest.mark.rule("R-117", "R-114")
@pytest.mark.decision("Market-side triggers")
async def test_ping_goes_to_the_notification_url(shops: Shops, wall: FrozenWall) -> None:
    campaign_id = shops.mine.campaign_id
    changed = await shops.client.patch(
        f"/sandbox/campaigns/{campaign_id}", json={"notificationUrl": STORE_URL}, headers=SANDBOX
    )
    assert changed.status_code == 200
    response = await fire(shops, f"/sandbox/campaigns/{campaign_id}/triggers/ping")
    assert response.status_code == 200
    (sent,) = response.json()["notifications"]
    ping = {"notificationType": "PING", "time": NOW}
    assert response.json() == {
        "notifications": [notification(campaign_id, ping, sent, url=STORE_URL)]
    }
    await assert_in_outbox(shops, [sent])


@pytest.mark.rule("R-117")
@pytest.mark.decision("Market-side triggers")
async def test_ping_without_a_url_is_recorded_not_sent(shops: Shops, wall: FrozenWall) -> None:
    campaign_id = shops.mine.campaign_id
    response = await fire(shops, f"/sandbox/campaigns/{campaign_id}/triggers/ping")
    (sent,) = response.json()["notifications"]
    ping = {"notificationType": "PING", "time": NOW}
    assert response.json() == {"notifications": [notification(campaign_id, ping, sent)]}
    await assert_in_outbox(shops, [sent])


@pytest.mark.decision("Market-side triggers")
async def test_ping_of_an_unknown_campaign_is_404(shops: Shops) -> None:
    response = await fire(shops, "/sandbox/campaigns/99999999/triggers/ping")
    assert response.status_code == 404
    assert response.json() == envelope(("NOT_FOUND", "Campaign not found: '99999999'"))


@pytest.mark.rule("R-102", "R-114")
@pytest.mark.decision("Market-side triggers")
async def test_buyer_cancellation_while_processing_cancels_at_once(
    shops: Shops, wall: FrozenWall
) -> None:
    campaign_id = shops.mine.campaign_id
    order = await shops.place()
    response = await fire(shops, trigger(shops, order["id"], "buyer-cancellation"))
    assert response.status_code == 200
    updated, cancelled = response.json()["notifications"]
    assert response.json() == {
        "notifications": [
            notification(
                campaign_id,
                {
                    "notificationType": "ORDER_STATUS_UPDATED",
                    "orderId": order["id"],
                    "campaignId": campaign_id,
                    "status": "CANCELLED",
                    "substatus": "USER_CHANGED_MIND",
                    "updatedAt": NOW,
                },
                updated,
            ),
            notification(
                campaign_id,
                {
                    "notificationType": "ORDER_CANCELLED",
                    "orderId": order["id"],
                    "campaignId": campaign_id,
                    "items": [{"offerId": "kettle-1", "count": 1}],
                    "cancelledAt": NOW,
                },
                cancelled,
            ),
        ]
    }
    await assert_in_outbox(shops, [updated, cancelled])
    shown = await shops.client.get(shops.path(order["id"]))
    assert shown.json() == {
        "order": expected_order(order, status="CANCELLED", substatus="USER_CHANGED_MIND")
    }


@pytest.mark.rule("R-102", "R-114")
@pytest.mark.decision("Market-side triggers")
async def test_buyer_cancellation_in_delivery_is_a_request_made_once(
    shops: Shops, wall: FrozenWall
) -> None:
    campaign_id = shops.mine.campaign_id
    order = await shops.place(status="DELIVERY")
    path = trigger(shops, order["id"], "buyer-cancellation")
    response = await fire(shops, path, {"reason": "USER_REFUSED_DELIVERY"})
    (requested,) = response.json()["notifications"]
    assert response.json() == {
        "notifications": [
            notification(
                campaign_id,
                {
                    "notificationType": "ORDER_CANCELLATION_REQUEST",
                    "orderId": order["id"],
                    "campaignId": campaign_id,
                    "requestedAt": NOW,
                },
                requested,
            )
        ]
    }
    await assert_in_outbox(shops, [requested])
    again = await fire(shops, path, {"reason": "USER_REFUSED_DELIVERY"})
    assert (again.status_code, again.json()) == (200, {"notifications": []})


@pytest.mark.rule("R-102", "R-097")
@pytest.mark.decision("Market-side triggers")
async def test_buyer_cancellation_takes_the_status_moves_checks(
    shops: Shops, wall: FrozenWall
) -> None:
    order = await shops.place()
    path = trigger(shops, order["id"], "buyer-cancellation")
    refused = await fire(shops, path, {"reason": "SHOP_FAILED"})
    moved = await shops.move(order["id"], "CANCELLED", "SHOP_FAILED")
    assert refused.status_code == moved.status_code == 400
    assert refused.json() == moved.json()
    unknown = await fire(shops, path, {"reason": "NOT_A_REASON"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["message"].startswith("Value of field reason")
    missing = await fire(shops, trigger(shops, 123, "buyer-cancellation"))
    assert missing.json() == envelope(("NOT_FOUND", "Order not found: '123'"))


@pytest.mark.rule("R-097", "R-114")
@pytest.mark.decision("Market-side triggers")
async def test_buyer_received(shops: Shops, wall: FrozenWall) -> None:
    campaign_id = shops.mine.campaign_id
    order = await shops.place(status="DELIVERY")
    response = await fire(shops, trigger(shops, order["id"], "buyer-received"))
    (updated,) = response.json()["notifications"]
    assert response.json() == {
        "notifications": [
            notification(
                campaign_id,
                {
                    "notificationType": "ORDER_STATUS_UPDATED",
                    "orderId": order["id"],
                    "campaignId": campaign_id,
                    "status": "DELIVERY",
                    "substatus": "USER_RECEIVED",
                    "updatedAt": NOW,
                },
                updated,
            )
        ]
    }
    await assert_in_outbox(shops, [updated])
    shown = await shops.client.get(shops.path(order["id"]))
    assert shown.json() == {
        "order": expected_order(order, status="DELIVERY", substatus="USER_RECEIVED")
    }


@pytest.mark.rule("R-097")
@pytest.mark.decision("Market-side triggers")
async def test_buyer_received_needs_an_order_on_its_way(shops: Shops, wall: FrozenWall) -> None:
    order = await shops.place()
    response = await fire(shops, trigger(shops, order["id"], "buyer-received"))
    assert response.status_code == 400
    assert response.json() == envelope(
        (
            "STATUS_NOT_ALLOWED",
            f"Status DELIVERY is not allowed for order {order['id']} in PROCESSING/STARTED",
        )
    )


@pytest.mark.rule("R-114")
@pytest.mark.decision("Market-side triggers")
async def test_delivery_date_change_moves_the_dates_and_sends_order_updated(
    shops: Shops, wall: FrozenWall
) -> None:
    campaign_id = shops.mine.campaign_id
    order = await shops.place()
    path = trigger(shops, order["id"], "delivery-date-change")
    dates = {"fromDate": "06-03-2030", "toDate": "07-03-2030"}
    response = await fire(shops, path, dates)
    assert response.status_code == 200
    (updated,) = response.json()["notifications"]
    assert response.json() == {
        "notifications": [
            notification(
                campaign_id,
                {
                    "notificationType": "ORDER_UPDATED",
                    "orderId": order["id"],
                    "campaignId": campaign_id,
                    "updateType": "DELIVERY_DATE_UPDATED",
                    "updatedAt": NOW,
                },
                updated,
            )
        ]
    }
    await assert_in_outbox(shops, [updated])
    shown = (await shops.client.get(shops.path(order["id"]))).json()["order"]
    assert shown["delivery"]["dates"] == dates
    again = await fire(shops, path, dates)  # the dates it has: nothing changes
    assert again.json() == {"notifications": []}


@pytest.mark.decision("Market-side triggers")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"fromDate": "07-03-2030", "toDate": "06-03-2030"},
            "Field toDate must not be before fromDate",
        ),
        ({}, "Missing field fromDate"),
    ],
)
async def test_delivery_date_change_refuses_bad_dates(
    shops: Shops, wall: FrozenWall, body: dict[str, Any], message: str
) -> None:
    order = await shops.place()
    response = await fire(shops, trigger(shops, order["id"], "delivery-date-change"), body)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))


@pytest.mark.decision("Market-side triggers")
async def test_delivery_date_change_refuses_a_day_in_another_format(
    shops: Shops, wall: FrozenWall
) -> None:
    order = await shops.place()
    response = await fire(
        shops, trigger(shops, order["id"], "delivery-date-change"), {"fromDate": "2030-03-06"}
    )
    assert response.status_code == 400
    assert "fromDate" in response.json()["errors"][0]["message"]


@pytest.mark.decision("Market-side triggers")
async def test_delivery_date_change_needs_an_open_physical_order(
    shops: Shops, wall: FrozenWall
) -> None:
    dates = {"fromDate": "06-03-2030"}
    cancelled = await shops.place(status="CANCELLED", substatus="SHOP_FAILED")
    refused = await fire(shops, trigger(shops, cancelled["id"], "delivery-date-change"), dates)
    assert refused.json() == envelope(
        (
            "BAD_REQUEST",
            f"Order {cancelled['id']} is CANCELLED: only an order in DELIVERY, PICKUP, "
            "PROCESSING has delivery dates to move",
        )
    )
    digital = await shops.place(delivery={"type": "DIGITAL"})
    refused = await fire(shops, trigger(shops, digital["id"], "delivery-date-change"), dates)
    assert refused.json() == envelope(
        ("BAD_REQUEST", f"Order {digital['id']} is DIGITAL: its goods are not delivered on a date")
    )


@pytest.mark.decision("The Sandbox-Token")
async def test_triggers_need_the_sandbox_token(shops: Shops) -> None:
    order = await shops.place()
    response = await shops.client.post(
        trigger(shops, order["id"], "buyer-received"), headers={"Sandbox-Token": "wrong"}
    )
    assert response.status_code == 401
