"""The outbox and the notification sender, against a real store endpoint on loopback.

Attempts run on the sandbox clock: each test records a notification the way an order change
does (inside a write transaction), then advances the clock with POST /sandbox/clock and reads
GET /sandbox/outbox and what the listener received.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.contract.notifications import Notification, order_status_updated, payload_json, ping
from dbskit.market.domain.notification_delivery import PLAIN_HTTP_NOT_LOOPBACK
from dbskit.market.runtime import Runtime
from dbskit.market.services.outbox import record_email, record_notification
from tests.conftest import envelope
from tests.factories import runtime_of
from tests.notification_listener import FAIL, OK, Reply, closed_port_url, serve

CAMPAIGN = 21
ORDER = 7
OUTBOX = "/sandbox/outbox"
CLOCK = "/sandbox/clock"
MINUTE = timedelta(minutes=1)
DOWN = '{"error": {"type": "UNKNOWN", "message": "store is down"}}'


def status_change(at: datetime, order_id: int = ORDER) -> Notification:
    return order_status_updated(
        order_id=order_id,
        campaign_id=CAMPAIGN,
        status="PROCESSING",
        substatus="READY_TO_SHIP",
        updated_at=at,
    )


def record(
    app: FastAPI,
    url: str | None,
    *,
    order_id: int = ORDER,
    payload: Notification | None = None,
) -> tuple[int, datetime, Notification]:
    """What an order change does: the notification is written in the change's transaction."""
    runtime = runtime_of(app)
    now = runtime.clock.now()
    notification = payload or status_change(now, order_id)
    with runtime.db.write() as conn:
        message_id = record_notification(
            conn,
            campaign_id=CAMPAIGN,
            order_id=order_id,
            payload=notification,
            notification_url=url,
            now=now,
        )
    return message_id, now, notification


async def advance(client: httpx.AsyncClient, headers: dict[str, str], seconds: float) -> None:
    response = await client.post(CLOCK, json={"advanceSeconds": seconds}, headers=headers)
    assert response.status_code == 200


async def outbox(
    client: httpx.AsyncClient, headers: dict[str, str], **query: int
) -> list[dict[str, Any]]:
    params = {"campaignId": CAMPAIGN, "orderId": ORDER} | query
    response = await client.get(OUTBOX, params=params, headers=headers)
    assert response.status_code == 200
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def times(attempts: list[dict[str, Any]], created: datetime) -> list[timedelta]:
    """Each attempt's scheduled offset from the message's creation."""
    return [datetime.fromisoformat(a["scheduledAt"]) - created for a in attempts]


def settled(attempt: dict[str, Any]) -> dict[str, Any]:
    """The attempt without what depends on the machine's speed (checked, then dropped)."""
    attempt = dict(attempt)
    attempted = datetime.fromisoformat(attempt.pop("attemptedAt"))
    assert attempted >= datetime.fromisoformat(attempt["scheduledAt"])
    assert attempt.pop("durationMs") >= 0
    return attempt


def when(moment: datetime) -> str:
    """A time as the outbox writes it (UTC, ``Z``)."""
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.rule("R-113", "R-114", "R-115", "R-116", "OQ-25")
async def test_store_fails_twice_then_succeeds(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    async with serve(FAIL, FAIL, OK) as store:
        message_id, created, notification = record(app, store.url)
        await advance(client, sandbox_headers, 30)
        assert len(store.received) == 1
        await advance(client, sandbox_headers, 30)
        assert len(store.received) == 2
        await advance(client, sandbox_headers, 60)
        assert len(store.received) == 3
        await advance(client, sandbox_headers, 2 * 3600)
        assert len(store.received) == 3  # delivered: nothing more

    for request in store.received:
        assert (request.method, request.path) == ("POST", "/notification")
        assert request.content_type == "application/json"
        assert request.json() == payload_json(notification)
    failure = {
        "url": f"{store.url}/notification",
        "result": "FAILED",
        "httpStatus": 500,
        "errorType": "CANT_GET_RESPONSE",
        "errorSubtype": "HTTP",
        "message": "UNKNOWN: store is down",
        "answer": DOWN,
    }
    [message] = await outbox(client, sandbox_headers)
    assert [settled(a) for a in message.pop("attempts")] == [
        {"number": 1, "scheduledAt": when(created), **failure},
        {"number": 2, "scheduledAt": when(created + MINUTE), **failure},
        {
            "number": 3,
            "scheduledAt": when(created + 2 * MINUTE),
            "url": f"{store.url}/notification",
            "result": "DELIVERED",
            "httpStatus": 200,
            "answer": OK.body.decode(),
        },
    ]
    assert message == {
        "id": message_id,
        "kind": "notification",
        "campaignId": CAMPAIGN,
        "orderId": ORDER,
        "createdAt": when(created),
        "state": "DELIVERED",
        "notificationUrl": store.url,
        "payload": payload_json(notification),
    }


@pytest.mark.rule("R-116", "OQ-25")
async def test_two_hours_of_failures_run_exactly_the_attempts_due(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    async with serve(FAIL) as store:
        _, created, _ = record(app, store.url)
        await advance(client, sandbox_headers, 2 * 3600)
    [message] = await outbox(client, sandbox_headers)
    expected = [n * MINUTE for n in range(61)] + [n * 15 * MINUTE for n in (5, 6, 7, 8)]
    assert times(message["attempts"], created) == expected
    assert [a["number"] for a in message["attempts"]] == list(range(1, 66))
    assert len(store.received) == 65
    assert message["state"] == "PENDING"
    assert message["nextAttemptAt"] == when(created + 135 * MINUTE)


@pytest.mark.rule("R-115", "R-116")
async def test_a_400_answer_stops_the_retries(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    rejection = b'{"error": {"type": "WRONG_EVENT_FORMAT", "message": "unknown status"}}'
    async with serve(Reply(400, rejection)) as store:
        _, created, _ = record(app, store.url)
        await advance(client, sandbox_headers, 3600)
    assert len(store.received) == 1
    [message] = await outbox(client, sandbox_headers)
    assert message["state"] == "REJECTED"
    assert "nextAttemptAt" not in message
    assert [settled(a) for a in message["attempts"]] == [
        {
            "number": 1,
            "scheduledAt": when(created),
            "url": f"{store.url}/notification",
            "result": "REJECTED",
            "httpStatus": 400,
            "errorType": "CANT_GET_RESPONSE",
            "errorSubtype": "HTTP",
            "message": "WRONG_EVENT_FORMAT: unknown status",
            "answer": rejection.decode(),
        }
    ]


@pytest.mark.rule("R-116")
@pytest.mark.parametrize("settings_overrides", [{"notification_timeout_seconds": 1.0}])
async def test_a_late_answer_counts_as_a_failure(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    async with serve(Reply(delay=10.0), OK) as store:
        _, created, _ = record(app, store.url)
        await advance(client, sandbox_headers, 60)
    [message] = await outbox(client, sandbox_headers)
    first, second = message["attempts"]
    # The 1 s deadline, not the store's 10 s (the upper bound only detects a missing deadline).
    assert 950 <= first["durationMs"] < 5000
    assert settled(first) == {
        "number": 1,
        "scheduledAt": when(created),
        "url": f"{store.url}/notification",
        "result": "FAILED",
        "errorType": "CANT_GET_RESPONSE",
        "errorSubtype": "READ_TIMED_OUT",
        "message": "No answer within 1.0 s",
    }
    assert (second["number"], second["result"], message["state"]) == (2, "DELIVERED", "DELIVERED")
    assert times(message["attempts"], created) == [timedelta(0), MINUTE]


@pytest.mark.rule("R-116")
async def test_gives_up_after_14_days(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    url = closed_port_url()
    _, created, _ = record(app, url)
    await advance(client, sandbox_headers, 15 * 86_400)
    [message] = await outbox(client, sandbox_headers)
    attempts = message["attempts"]
    assert len(attempts) == 464
    assert times(attempts, created)[-1] == timedelta(days=14) - timedelta(hours=1)
    assert {(a["result"], a["errorSubtype"]) for a in attempts} == {
        ("FAILED", "CONNECTION_REFUSED")
    }
    assert message["state"] == "EXPIRED"
    assert "nextAttemptAt" not in message
    await advance(client, sandbox_headers, 86_400)
    assert len((await outbox(client, sandbox_headers))[0]["attempts"]) == 464


@pytest.mark.rule("R-116", "OQ-25")
@pytest.mark.parametrize("settings_overrides", [{"notification_time_factor": 0.5}])
async def test_time_factor_compresses_the_schedule(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    async with serve(FAIL) as store:
        _, created, _ = record(app, store.url)
        await advance(client, sandbox_headers, 61)
    [message] = await outbox(client, sandbox_headers)
    half = MINUTE / 2
    assert times(message["attempts"], created) == [timedelta(0), half, 2 * half]
    assert message["nextAttemptAt"] == when(created + 3 * half)


@pytest.mark.rule("R-114", "OQ-25")
async def test_nothing_is_recorded_when_the_change_rolls_back(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    runtime = runtime_of(app)
    now = runtime.clock.now()

    class ChangeFailed(Exception):
        pass

    async with serve(OK) as store:
        with pytest.raises(ChangeFailed), runtime.db.write() as conn:
            record_notification(
                conn,
                campaign_id=CAMPAIGN,
                order_id=ORDER,
                payload=status_change(now),
                notification_url=store.url,
                now=now,
            )
            record_email(
                conn, campaign_id=CAMPAIGN, order_id=ORDER, payload={"to": "buyer"}, now=now
            )
            raise ChangeFailed
        await advance(client, sandbox_headers, 3600)
    assert store.received == []
    assert await outbox(client, sandbox_headers) == []


@pytest.mark.rule("R-113")
async def test_plain_http_off_loopback_fails_without_a_call(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    _, created, _ = record(app, "http://shop.example/market")
    await advance(client, sandbox_headers, 3600)
    [message] = await outbox(client, sandbox_headers)
    assert message["state"] == "FAILED"
    assert [settled(a) for a in message["attempts"]] == [
        {
            "number": 1,
            "scheduledAt": when(created),
            "url": "http://shop.example/market/notification",
            "result": "FAILED",
            "errorType": "CANT_GET_RESPONSE",
            "errorSubtype": "SSL_ERROR",
            "message": PLAIN_HTTP_NOT_LOOPBACK,
        }
    ]


@pytest.mark.rule("R-117", "C-13")
@pytest.mark.parametrize("settings_overrides", [{"ping_timeout_seconds": 0.2}])
async def test_ping_is_tried_once_within_its_own_deadline(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    runtime = runtime_of(app)
    async with serve(Reply(delay=2.0)) as store:
        _, _, notification = record(app, store.url, payload=ping(time=runtime.clock.now()))
        await advance(client, sandbox_headers, 3600)
    assert [r.json() for r in store.received] == [payload_json(notification)]
    [message] = await outbox(client, sandbox_headers)
    assert message["state"] == "FAILED"
    [attempt] = message["attempts"]
    assert (attempt["errorSubtype"], attempt["message"]) == (
        "READ_TIMED_OUT",
        "No answer within 0.2 s",
    )


@pytest.mark.rule("R-109", "R-117")
async def test_without_a_notification_url_nothing_is_sent(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    message_id, created, notification = record(app, None)
    await advance(client, sandbox_headers, 3600)
    assert await outbox(client, sandbox_headers) == [
        {
            "id": message_id,
            "kind": "notification",
            "campaignId": CAMPAIGN,
            "orderId": ORDER,
            "createdAt": when(created),
            "state": "NOT_SENT",
            "payload": payload_json(notification),
            "attempts": [],
        }
    ]


@pytest.mark.rule("R-011", "R-114")
async def test_outbox_lists_emails_and_notifications_by_campaign_and_order(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    runtime = runtime_of(app)
    now = runtime.clock.now()
    email = {"to": "buyer@example.com", "subject": "Your keys", "codes": ["AAAA-BBBB"]}
    with runtime.db.write() as conn:
        email_id = record_email(conn, campaign_id=CAMPAIGN, order_id=ORDER, payload=email, now=now)
    other_id, _, _ = record(app, None, order_id=ORDER + 1)
    assert await outbox(client, sandbox_headers) == [
        {
            "id": email_id,
            "kind": "email",
            "campaignId": CAMPAIGN,
            "orderId": ORDER,
            "createdAt": when(now),
            "state": "SENT",
            "payload": email,
            "attempts": [],
        }
    ]
    response = await client.get(OUTBOX, params={"campaignId": CAMPAIGN}, headers=sandbox_headers)
    assert [m["id"] for m in response.json()["messages"]] == [email_id, other_id]
    response = await client.get(OUTBOX, headers=sandbox_headers)
    assert [m["id"] for m in response.json()["messages"]] == [email_id, other_id]
    response = await client.get(OUTBOX, params={"campaignId": 999}, headers=sandbox_headers)
    assert response.json() == {"messages": []}


@pytest.mark.rule("R-081")
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("campaignId=abc", "Value of field campaignId must be an integer"),
        (
            "campaignId=0",
            "Value / length of field campaignId (0) must be greater than or equal to 1",
        ),
        ("orderId=1.5", "Value of field orderId must be an integer"),
    ],
)
async def test_outbox_query_errors_name_the_field(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str], query: str, message: str
) -> None:
    response = await client.get(f"{OUTBOX}?{query}", headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))


@pytest.mark.rule("R-113")
async def test_outbox_needs_the_sandbox_token(client: httpx.AsyncClient) -> None:
    response = await client.get(OUTBOX, headers={"Sandbox-Token": "wrong"})
    assert response.status_code == 401
    assert response.json() == envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong"))


@pytest.mark.rule("R-113", "R-116")
@pytest.mark.parametrize(
    "settings_overrides", [{"scheduler_interval_seconds": 0.05, "clock_refresh_seconds": 0.05}]
)
async def test_the_background_ticker_delivers_without_moving_the_clock(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    async with serve(OK) as store:
        _, _, notification = record(app, store.url)
        for _ in range(400):  # a hang detector: the ticker runs every 0.05 s
            if store.received:
                break
            await asyncio.sleep(0.05)
    assert [r.json() for r in store.received] == [payload_json(notification)]
    for _ in range(400):
        [message] = await outbox(client, sandbox_headers)
        if message["state"] != "PENDING":
            break
        await asyncio.sleep(0.05)
    assert message["state"] == "DELIVERED"


@pytest.mark.rule("R-116")
async def test_two_instances_on_one_database_make_each_attempt_once(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    runtime = runtime_of(app)
    other = Runtime.build(runtime.settings)
    other.prepare()
    try:
        async with serve(FAIL) as store:
            _, created, _ = record(app, store.url)
            until = created + timedelta(hours=2)
            await asyncio.gather(runtime.scheduler.run_due(until), other.scheduler.run_due(until))
    finally:
        await other.http.aclose()
        other.db.dispose()
    [message] = await outbox(client, sandbox_headers)
    assert [a["number"] for a in message["attempts"]] == list(range(1, 66))
    assert len(store.received) == 65
