"""The notifications order changes make (OQ-25, R-109, R-114): recorded in the outbox with the
campaign's notification URL, for test orders too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.factories import create_campaign
from tests.orders_support import FROZEN_AT, Shops

pytestmark = pytest.mark.usefixtures("wall")

CREATED = "2030-03-02T06:00:00Z"


async def outbox(shops: Shops, order_id: int) -> list[dict[str, Any]]:
    response = await shops.client.get(
        "/sandbox/outbox",
        params={"campaignId": shops.mine.campaign_id, "orderId": order_id},
        headers=shops.sandbox_headers,
    )
    assert response.status_code == 200
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def payloads(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert {message["kind"] for message in messages} <= {"notification"}
    return [message["payload"] for message in messages]


@pytest.mark.rule("OQ-25", "R-109", "R-114")
async def test_placing_and_store_moves(shops: Shops) -> None:
    order = await shops.place(items=[{"offerId": "kettle-1", "count": 2, "price": 990}])
    oid, campaign = order["id"], shops.mine.campaign_id
    base = {"orderId": oid, "campaignId": campaign}
    path = f"{shops.path(oid)}/status"
    ready = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    assert (await shops.client.put(path, json=ready)).status_code == 200
    assert (await shops.client.put(path, json=ready)).status_code == 200  # a repeat: nothing
    cancel = {"order": {"status": "CANCELLED", "substatus": "SHOP_FAILED"}}
    assert (await shops.client.put(path, json=cancel)).status_code == 200
    messages = await outbox(shops, oid)
    # The campaign has no notification URL: kept, not sent.
    assert [(m["state"], m.get("notificationUrl")) for m in messages] == [("NOT_SENT", None)] * 4
    assert payloads(messages) == [
        {"notificationType": "ORDER_CREATED", **base,
         "items": [{"offerId": "kettle-1", "count": 2}], "createdAt": CREATED},
        {"notificationType": "ORDER_STATUS_UPDATED", **base, "status": "PROCESSING",
         "substatus": "READY_TO_SHIP", "updatedAt": CREATED},
        {"notificationType": "ORDER_STATUS_UPDATED", **base, "status": "CANCELLED",
         "substatus": "SHOP_FAILED", "updatedAt": CREATED},
        {"notificationType": "ORDER_CANCELLED", **base,
         "items": [{"offerId": "kettle-1", "count": 2}], "cancelledAt": CREATED},
    ]  # fmt: skip


@pytest.mark.rule("OQ-25", "R-102", "R-114")
async def test_buyer_cancellation_request_then_automatic_cancellation(shops: Shops) -> None:
    order = await shops.place(status="DELIVERY")
    oid, campaign = order["id"], shops.mine.campaign_id
    base = {"orderId": oid, "campaignId": campaign}
    assert (await shops.move(oid, "CANCELLED", "USER_CHANGED_MIND")).status_code == 200
    await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": 48 * 3600}, headers=shops.sandbox_headers
    )
    later = (FROZEN_AT + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert payloads(await outbox(shops, oid)) == [
        {"notificationType": "ORDER_CREATED", **base,
         "items": [{"offerId": "kettle-1", "count": 1}], "createdAt": CREATED},
        {"notificationType": "ORDER_CANCELLATION_REQUEST", **base, "requestedAt": CREATED},
        {"notificationType": "ORDER_STATUS_UPDATED", **base, "status": "CANCELLED",
         "substatus": "USER_CHANGED_MIND", "updatedAt": later},
        {"notificationType": "ORDER_CANCELLED", **base,
         "items": [{"offerId": "kettle-1", "count": 1}], "cancelledAt": later},
    ]  # fmt: skip


@pytest.mark.rule("OQ-25", "R-097")
async def test_market_moves_notify_too(shops: Shops) -> None:
    order = await shops.place(status="DELIVERY")
    assert (await shops.move(order["id"], "DELIVERY", "USER_RECEIVED")).status_code == 200
    assert [p["notificationType"] for p in payloads(await outbox(shops, order["id"]))] == [
        "ORDER_CREATED",
        "ORDER_STATUS_UPDATED",
    ]
    assert payloads(await outbox(shops, order["id"]))[1]["substatus"] == "USER_RECEIVED"


@pytest.mark.rule("OQ-25", "R-113")
async def test_notifications_go_to_the_campaigns_url(
    client: httpx.AsyncClient, shops: Shops
) -> None:
    url = "http://127.0.0.1:9/notification"
    created = await create_campaign(client, businessId=shops.mine.business_id, notificationUrl=url)
    order = await shops.place(campaign_id=created["campaignId"])
    response = await client.get(
        "/sandbox/outbox",
        params={"campaignId": created["campaignId"], "orderId": order["id"]},
        headers=shops.sandbox_headers,
    )
    [message] = response.json()["messages"]
    assert (message["state"], message["notificationUrl"]) == ("PENDING", url)
    assert message["payload"]["notificationType"] == "ORDER_CREATED"
