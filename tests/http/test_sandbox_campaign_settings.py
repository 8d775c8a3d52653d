"""GET and PATCH /sandbox/campaigns/{campaignId}: a campaign's push and notification settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.contract.sandbox_access import URL_MAX_LENGTH
from dbskit.settings import Settings
from tests.conftest import envelope
from tests.factories import SANDBOX, create_campaign
from tests.notification_listener import serve
from tests.notification_schemas import assert_valid_notification
from tests.orders_support import freeze_clock

FROZEN_TIME = "2030-03-02T06:00:00Z"  # FROZEN_AT as the outbox writes it
LISTENER_URL = "http://127.0.0.1:9/store"
ORDER = {
    "items": [{"offerId": "kettle-1", "count": 1, "price": 990}],
    "delivery": {"type": "DELIVERY"},
}


def campaign_path(campaign_id: int) -> str:
    return f"/sandbox/campaigns/{campaign_id}"


async def patch(client: httpx.AsyncClient, campaign_id: int, body: Any) -> httpx.Response:
    return await client.patch(campaign_path(campaign_id), json=body, headers=SANDBOX)


async def outbox(client: httpx.AsyncClient, campaign_id: int) -> list[dict[str, Any]]:
    response = await client.get(
        "/sandbox/outbox", params={"campaignId": campaign_id}, headers=SANDBOX
    )
    assert response.status_code == 200
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


@pytest.fixture
def frozen(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_clock(app, monkeypatch)


@pytest.mark.decision("Campaign settings")
async def test_get_shows_the_campaign_as_created(client: httpx.AsyncClient) -> None:
    created = await create_campaign(
        client,
        name="Books",
        pushUrl="https://store.example/market",
        pushAuthToken="s3cret",
        pushAuthMode="URL",
        notificationUrl="https://store.example/hooks",
    )
    response = await client.get(campaign_path(created["campaignId"]), headers=SANDBOX)
    assert response.status_code == 200
    assert response.json() == {
        "campaignId": created["campaignId"],
        "businessId": created["businessId"],
        "name": "Books",
        "active": True,
        "pushUrl": "https://store.example/market",
        "pushAuthToken": "s3cret",
        "pushAuthMode": "URL",
        "notificationUrl": "https://store.example/hooks",
    }


@pytest.mark.decision("Campaign settings")
async def test_patch_changes_the_fields_given_and_answers_the_campaign(
    client: httpx.AsyncClient,
) -> None:
    created = await create_campaign(
        client, name="Books", pushUrl="https://old.example/market", pushAuthToken="old"
    )
    campaign_id = created["campaignId"]
    response = await patch(
        client,
        campaign_id,
        {"pushUrl": "https://new.example/market", "pushAuthToken": "new", "pushAuthMode": "URL"},
    )
    assert response.status_code == 200
    expected = {
        "campaignId": campaign_id,
        "businessId": created["businessId"],
        "name": "Books",
        "active": True,
        "pushUrl": "https://new.example/market",
        "pushAuthToken": "new",
        "pushAuthMode": "URL",
    }
    assert response.json() == expected
    shown = await client.get(campaign_path(campaign_id), headers=SANDBOX)
    assert shown.json() == expected


@pytest.mark.decision("Campaign settings")
async def test_null_clears_a_url_or_the_token(client: httpx.AsyncClient) -> None:
    created = await create_campaign(
        client,
        pushUrl="https://store.example/market",
        pushAuthToken="s3cret",
        notificationUrl="https://store.example/hooks",
    )
    response = await patch(
        client,
        created["campaignId"],
        {"pushUrl": None, "pushAuthToken": None, "notificationUrl": None},
    )
    assert response.status_code == 200
    assert response.json() == {
        "campaignId": created["campaignId"],
        "businessId": created["businessId"],
        "name": "Sandbox store",
        "active": True,
        "pushAuthMode": "HEADER",
    }


@pytest.mark.decision("Campaign settings")
@pytest.mark.decision("Campaigns and keys")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"pushUrl": "ftp://x"},
            "Value of field pushUrl must match the pattern: '^https?://\\S+$'",
        ),
        (
            {"notificationUrl": "store.example"},
            "Value of field notificationUrl must match the pattern: '^https?://\\S+$'",
        ),
        (
            {"pushAuthMode": "COOKIE"},
            "Value of field pushAuthMode ('COOKIE') must be one of 'HEADER' or 'URL'",
        ),
        ({"name": ""}, "Value / length of field name (0) must be greater than or equal to 1"),
        ({"name": None}, "Field name cannot be null"),
        ({"pushAuthMode": None}, "Field pushAuthMode cannot be null"),
    ],
)
async def test_a_change_is_checked_as_a_creation_is(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    created = await create_campaign(client, name="Kept")
    response = await patch(client, created["campaignId"], body)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))
    if "name" not in body and "pushAuthMode" not in body:  # the creation says the same
        refused = await client.post("/sandbox/campaigns", json=body, headers=SANDBOX)
        assert refused.json() == response.json()
    shown = await client.get(campaign_path(created["campaignId"]), headers=SANDBOX)
    assert shown.json()["name"] == "Kept"


@pytest.mark.decision("Campaign settings")
async def test_a_url_one_over_the_length_limit_is_refused(client: httpx.AsyncClient) -> None:
    created = await create_campaign(client)
    base = "https://store.example/"
    at_limit = base + "a" * (URL_MAX_LENGTH - len(base))
    accepted = await patch(client, created["campaignId"], {"pushUrl": at_limit})
    assert accepted.status_code == 200
    refused = await patch(client, created["campaignId"], {"pushUrl": at_limit + "a"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"].startswith("Value / length of field pushUrl")


@pytest.mark.decision("Campaign settings")
async def test_an_unknown_campaign_is_404(client: httpx.AsyncClient) -> None:
    missing = envelope(("NOT_FOUND", "Campaign not found: '99999999'"))
    shown = await client.get(campaign_path(99999999), headers=SANDBOX)
    changed = await patch(client, 99999999, {"name": "x"})
    assert (shown.status_code, shown.json()) == (404, missing)
    assert (changed.status_code, changed.json()) == (404, missing)


@pytest.mark.decision("The Sandbox-Token")
async def test_the_settings_need_the_sandbox_token(client: httpx.AsyncClient) -> None:
    created = await create_campaign(client)
    response = await client.patch(
        campaign_path(created["campaignId"]), json={"name": "x"}, headers={"Sandbox-Token": "no"}
    )
    assert response.status_code == 401
    assert response.json() == envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong"))


@pytest.mark.rule("R-117")
@pytest.mark.decision("Campaign settings")
async def test_switching_notifications_on_records_a_ping(
    client: httpx.AsyncClient, frozen: None
) -> None:
    campaign_id = (await create_campaign(client))["campaignId"]
    await patch(client, campaign_id, {"notificationUrl": LISTENER_URL})
    messages = await outbox(client, campaign_id)
    assert messages == [
        {
            "id": messages[0]["id"],
            "kind": "notification",
            "campaignId": campaign_id,
            "createdAt": FROZEN_TIME,
            "state": "PENDING",
            "notificationUrl": LISTENER_URL,
            "nextAttemptAt": FROZEN_TIME,
            "payload": {"notificationType": "PING", "time": FROZEN_TIME},
            "attempts": [],
        }
    ]
    assert_valid_notification(messages[0]["payload"])


@pytest.mark.rule("R-117")
@pytest.mark.decision("Campaign settings")
async def test_only_a_new_notification_url_is_pinged(client: httpx.AsyncClient) -> None:
    campaign_id = (await create_campaign(client, notificationUrl=LISTENER_URL))["campaignId"]
    await patch(client, campaign_id, {"notificationUrl": LISTENER_URL, "name": "Same URL"})
    await patch(client, campaign_id, {"notificationUrl": None})
    assert await outbox(client, campaign_id) == []  # unchanged, then switched off
    await patch(client, campaign_id, {"notificationUrl": LISTENER_URL})  # on again
    await patch(client, campaign_id, {"notificationUrl": LISTENER_URL + "/v2"})  # moved
    pings = [
        (m["payload"]["notificationType"], m["notificationUrl"])
        for m in await outbox(client, campaign_id)
    ]
    assert pings == [("PING", LISTENER_URL), ("PING", LISTENER_URL + "/v2")]


@pytest.mark.rule("R-117", "R-113")
@pytest.mark.decision("Campaign settings")
async def test_the_ping_reaches_the_store(client: httpx.AsyncClient) -> None:
    campaign_id = (await create_campaign(client))["campaignId"]
    async with serve() as store:
        await patch(client, campaign_id, {"notificationUrl": store.url})
        moved = await client.post("/sandbox/clock", json={"advanceSeconds": 0}, headers=SANDBOX)
        assert moved.status_code == 200
        assert [(call.method, call.path) for call in store.received] == [("POST", "/notification")]
        body = store.received[0].json()
        assert body["notificationType"] == "PING"
        assert_valid_notification(body)
    (message,) = await outbox(client, campaign_id)
    assert message["state"] == "DELIVERED"


@pytest.fixture
async def second_instance(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another served process on the same database."""
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://other.test") as http:
            yield http


@pytest.mark.rule("R-117", "R-109")
@pytest.mark.decision("Campaign settings")
async def test_the_next_notification_of_every_instance_uses_the_change(
    client: httpx.AsyncClient, second_instance: httpx.AsyncClient
) -> None:
    campaign_id = (await create_campaign(client, notificationUrl=LISTENER_URL))["campaignId"]
    path = f"/sandbox/campaigns/{campaign_id}/orders"
    before = await second_instance.post(path, json=ORDER, headers=SANDBOX)
    assert before.status_code == 201
    await patch(client, campaign_id, {"notificationUrl": LISTENER_URL + "/new"})
    after = await second_instance.post(path, json=ORDER, headers=SANDBOX)
    assert after.status_code == 201
    created = [
        (m["orderId"], m["notificationUrl"])
        for m in await outbox(client, campaign_id)
        if m["payload"]["notificationType"] == "ORDER_CREATED"
    ]
    assert created == [
        (before.json()["order"]["id"], LISTENER_URL),
        (after.json()["order"]["id"], LISTENER_URL + "/new"),
    ]
