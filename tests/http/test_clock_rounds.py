"""Due events in rounds: notification attempts to one URL one at a time and in order, different
URLs at once, a refused connection recorded at once, and writes of a round in due order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from dbskit.database.db import Transaction
from dbskit.market.runtime import Runtime
from dbskit.market.services.outbound import loopback_address, refused_connection
from dbskit.market.services.scheduler import ScheduledEvent, schedule
from dbskit.market.storage.tables import scheduled_events
from tests.factories import runtime_of
from tests.http.test_outbox_notifications import (
    CLOCK,
    MINUTE,
    outbox,
    record,
    settled,
    times,
    when,
)
from tests.notification_listener import FAIL, Listener, Reply, closed_port_url, serve

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# The first answer of each store waits, so that the first attempts to both stores, made in the
# same round, are answered at the same time.
FIRST_SLOW = (Reply(FAIL.status, FAIL.body, delay=0.5), FAIL)


@dataclass
class InFlight:
    """How many calls the stores were answering at once: now, and at most (per store and in
    all)."""

    now: int = 0
    most: int = 0
    most_per_store: dict[str, int] = field(default_factory=dict)


class CountingStore:
    """A ``Listener`` that also counts the calls it is answering at once."""

    def __init__(self, listener: Listener, counts: InFlight) -> None:
        self.listener = listener
        self.counts = counts
        self.now = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        counts = self.counts
        self.now += 1
        counts.now += 1
        counts.most = max(counts.most, counts.now)
        url = self.listener.url
        counts.most_per_store[url] = max(counts.most_per_store.get(url, 0), self.now)
        try:
            await self.listener(scope, receive, send)
        finally:
            self.now -= 1
            counts.now -= 1


def counting_store(counts: InFlight, *replies: Reply) -> AbstractAsyncContextManager[Listener]:
    """A store on a free loopback port whose calls in flight are counted."""
    return serve(*replies, wrap=lambda listener: CountingStore(listener, counts))


async def advance(client: httpx.AsyncClient, headers: dict[str, str], seconds: float) -> Any:
    response = await client.post(CLOCK, json={"advanceSeconds": seconds}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def expected_order(messages: list[dict[str, Any]], url: str) -> list[int]:
    """The order ids of the attempts to ``url``, earliest scheduled first (ties: older message)."""
    attempts = [
        (datetime.fromisoformat(a["scheduledAt"]), message["id"], message["orderId"])
        for message in messages
        for a in message["attempts"]
        if a["url"] == f"{url}/notification"
    ]
    return [order_id for _, _, order_id in sorted(attempts)]


@pytest.mark.rule("R-113", "R-116")
@pytest.mark.decision("Running due events in rounds")
async def test_attempts_to_one_url_go_one_at_a_time_in_order_and_urls_at_once(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    counts = InFlight()
    async with (
        counting_store(counts, *FIRST_SLOW) as first,
        counting_store(counts, *FIRST_SLOW) as second,
    ):
        for order_id, store in ((1, first), (2, second), (3, first), (4, second), (5, first)):
            record(app, store.url, order_id=order_id)
        answer = await advance(client, sandbox_headers, 10 * 60)

    response = await client.get("/sandbox/outbox", headers=sandbox_headers)
    messages = response.json()["messages"]
    assert [len(m["attempts"]) for m in messages] == [11] * 5  # minutes 0..10
    assert answer["eventsRun"] == 55
    for store in (first, second):
        assert [r.json()["orderId"] for r in store.received] == expected_order(messages, store.url)
    assert counts.most_per_store == {first.url: 1, second.url: 1}
    assert counts.most == 2  # the two stores were called at the same time


@pytest.mark.rule("R-116")
@pytest.mark.decision("Running due events in rounds")
@pytest.mark.parametrize("settings_overrides", [{"notification_timeout_seconds": 3600.0}])
async def test_a_refused_connection_fails_at_once_and_keeps_the_schedule(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    url = closed_port_url()
    _, created, _ = record(app, url)
    await advance(client, sandbox_headers, 2 * 3600)
    [message] = await outbox(client, sandbox_headers)
    attempts = message["attempts"]
    expected = [n * MINUTE for n in range(61)] + [n * 15 * MINUTE for n in (5, 6, 7, 8)]
    assert times(attempts, created) == expected  # none early, none skipped
    host, port = url.removeprefix("http://").split(":")
    for attempt in attempts:
        # Refused, not waited on: far inside the hour-long deadline.
        assert attempt["durationMs"] < 3_600_000
        assert {k: v for k, v in settled(attempt).items() if k != "scheduledAt"} == {
            "number": attempt["number"],
            "url": f"{url}/notification",
            "result": "FAILED",
            "errorType": "CANT_GET_RESPONSE",
            "errorSubtype": "CONNECTION_REFUSED",
            "message": f"Connection refused by {host}:{port}",
        }
    assert (message["state"], message["nextAttemptAt"]) == ("PENDING", when(created + 135 * MINUTE))


@pytest.mark.rule("R-113")
@pytest.mark.decision("Running due events in rounds")
async def test_the_connection_check_passes_a_listening_store_to_the_client() -> None:
    refused_url = closed_port_url()
    refused = await refused_connection(loopback_address(refused_url) or ("", 0))
    assert refused is not None
    assert refused.error_subtype is not None
    assert refused.error_subtype.value == "CONNECTION_REFUSED"
    async with counting_store(InFlight()) as store:
        assert await refused_connection(loopback_address(store.url) or ("", 0)) is None
        assert store.received == []  # a connection opened and closed: no request
    assert loopback_address("https://shop.example/market") is None
    assert loopback_address("http://localhost/market") == ("localhost", 80)
    assert loopback_address("https://[::1]:8443/market") == ("::1", 8443)


def schedule_now(runtime: Runtime, kind: str, minutes: float, payload: dict[str, Any]) -> None:
    now = runtime.clock.now()
    with runtime.db.write() as conn:
        schedule(conn, kind=kind, due_at=now + timedelta(minutes=minutes), payload=payload, now=now)


def outcomes(runtime: Runtime) -> dict[str, str | None]:
    events = scheduled_events.c
    with runtime.db.read() as conn:
        rows = conn.execute(select(events.payload, events.outcome).order_by(events.id))
        return {row.payload["name"]: row.outcome for row in rows if "name" in row.payload}


@pytest.mark.decision("Running due events in rounds")
async def test_a_rounds_writes_go_in_due_order_and_a_failing_one_fails_alone(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    runtime = runtime_of(app)
    ran: list[str] = []

    def write(conn: Transaction, event: ScheduledEvent) -> str:
        ran.append(event.payload["name"])
        schedule(
            conn,
            kind="test.follow",
            due_at=event.due_at + timedelta(minutes=1),
            payload={"name": f"after {event.payload['name']}"},
            now=event.due_at,
        )
        if event.payload.get("fail"):
            raise RuntimeError("the store of this event is broken")
        return "written"

    runtime.scheduler.register_writes("test.email", write)
    runtime.scheduler.register_writes("test.cancel", write)
    runtime.scheduler.register_writes("test.follow", lambda _conn, event: "followed")
    schedule_now(runtime, "test.email", 10, {"name": "email of 1"})
    schedule_now(runtime, "test.cancel", 20, {"name": "cancel of 1"})
    schedule_now(runtime, "test.email", 30, {"name": "email of 2", "fail": True})
    schedule_now(runtime, "test.email", 40, {"name": "email of 3"})

    answer = await advance(client, sandbox_headers, 3600)
    # One round, tried together up to the failure, then again one event at a time: in due order
    # across kinds both times.
    order = ["email of 1", "cancel of 1", "email of 2", "email of 3"]
    assert ran == order[:3] + order
    assert outcomes(runtime) == {
        "email of 1": "written",
        "cancel of 1": "written",
        "email of 2": "failed: RuntimeError: the store of this event is broken",
        "email of 3": "written",
        "after email of 1": "followed",
        "after cancel of 1": "followed",
        "after email of 3": "followed",
    }
    assert answer["eventsRun"] == 7
