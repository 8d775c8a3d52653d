"""The sandbox clock: read, move forward, guarded, and running due events when moved."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from dbskit.database.db import Transaction
from dbskit.market.runtime import Runtime
from dbskit.market.services.scheduler import ScheduledEvent, schedule
from tests.conftest import envelope
from tests.orders_support import freeze_clock

CLOCK = "/sandbox/clock"


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


@pytest.mark.decision("The Sandbox-Token")
async def test_clock_needs_the_sandbox_token(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Sandbox-Token": "wrong"}):
        response = await client.get(CLOCK, headers=headers)
        assert response.status_code == 401
        assert response.json() == envelope(
            ("UNAUTHORIZED", "Sandbox-Token header is missing or wrong")
        )


@pytest.mark.decision("The sandbox clock")
async def test_advance_moves_now_forward(
    app: FastAPI,
    client: httpx.AsyncClient,
    sandbox_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wall = freeze_clock(app, monkeypatch)
    before = parse((await client.get(CLOCK, headers=sandbox_headers)).json()["now"])
    response = await client.post(CLOCK, json={"advanceSeconds": 7200}, headers=sandbox_headers)
    assert response.status_code == 200
    after = parse(response.json()["now"])
    assert after - before == timedelta(hours=2)
    wall.moment += timedelta(seconds=3)
    now = parse((await client.get(CLOCK, headers=sandbox_headers)).json()["now"])
    assert now - after == timedelta(seconds=3)


@pytest.mark.decision("The sandbox clock")
async def test_set_now_forward_and_never_back(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    response = await client.post(
        CLOCK, json={"now": "2099-01-01T00:00:00+03:00"}, headers=sandbox_headers
    )
    assert response.status_code == 200
    assert parse(response.json()["now"]) >= parse("2099-01-01T00:00:00+03:00")
    response = await client.post(
        CLOCK, json={"now": "2098-12-31T00:00:00Z"}, headers=sandbox_headers
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "BAD_REQUEST"
    assert error["message"].startswith(
        "The sandbox clock only moves forward: 2098-12-31T00:00:00+00:00"
    )


@pytest.mark.rule("R-081")
@pytest.mark.decision("The sandbox clock")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Exactly one of fields advanceSeconds and now is required"),
        (
            {"advanceSeconds": 1, "now": "2099-01-01T00:00:00Z"},
            "Exactly one of fields advanceSeconds and now is required",
        ),
        (
            {"advanceSeconds": -1},
            "Value / length of field advanceSeconds (-1) must be greater than or equal to 0",
        ),
        (
            {"now": "2099-01-01T00:00:00"},
            "Value of field now is invalid: Input should have timezone info",
        ),
    ],
)
async def test_bad_changes_are_400(
    client: httpx.AsyncClient,
    sandbox_headers: dict[str, str],
    body: dict[str, object],
    message: str,
) -> None:
    response = await client.post(CLOCK, json=body, headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))


@pytest.mark.decision("The sandbox clock")
async def test_advancing_runs_due_events_in_order_before_returning(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    runtime: Runtime = app.state.runtime
    ran: list[tuple[str, datetime]] = []

    def record(_conn: Transaction, event: ScheduledEvent) -> str:
        ran.append((event.payload["name"], event.due_at))
        return "recorded"

    runtime.scheduler.register_writes("test.record", record)
    now = runtime.clock.now()
    with runtime.db.write() as conn:
        for name, minutes in (("later", 90), ("sooner", 30), ("far", 600)):
            schedule(
                conn,
                kind="test.record",
                due_at=now + timedelta(minutes=minutes),
                payload={"name": name},
                now=now,
            )

    response = await client.post(CLOCK, json={"advanceSeconds": 2 * 3600}, headers=sandbox_headers)
    assert response.status_code == 200
    assert [name for name, _ in ran] == ["sooner", "later"]

    await client.post(CLOCK, json={"advanceSeconds": 3600}, headers=sandbox_headers)
    assert [name for name, _ in ran] == ["sooner", "later"]  # each event runs once
    await client.post(CLOCK, json={"advanceSeconds": 8 * 3600}, headers=sandbox_headers)
    assert [name for name, _ in ran] == ["sooner", "later", "far"]


@pytest.mark.decision("The sandbox clock")
async def test_offset_survives_a_restart_and_is_shared(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    await client.post(CLOCK, json={"advanceSeconds": 86_400}, headers=sandbox_headers)
    runtime: Runtime = app.state.runtime
    other = Runtime.build(runtime.settings)
    other.prepare()
    try:
        assert other.clock.offset >= timedelta(days=1)
        assert other.clock.offset == runtime.clock.offset
    finally:
        other.db.dispose()


@pytest.mark.decision("The sandbox clock")
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"now": "9999-12-31T00:00:00Z"},
            "The sandbox clock stops at 9000-01-01T00:00:00Z: 9999-12-31T00:00:00+00:00 is later",
        ),
        (
            {"now": "9999-12-31T23:59:59-14:00"},
            "The sandbox clock stops at 9000-01-01T00:00:00Z: 9999-12-31T23:59:59-14:00 is later",
        ),
    ],
)
async def test_the_clock_stops_at_its_last_moment_and_orders_still_work(
    client: httpx.AsyncClient,
    sandbox_headers: dict[str, str],
    change: dict[str, str],
    message: str,
) -> None:
    before = (await client.get(CLOCK, headers=sandbox_headers)).json()["now"]
    refused = await client.post(CLOCK, json=change, headers=sandbox_headers)
    assert (refused.status_code, refused.json()) == (400, envelope(("BAD_REQUEST", message)))
    assert parse((await client.get(CLOCK, headers=sandbox_headers)).json()["now"]) >= parse(before)
    last = await client.post(CLOCK, json={"now": "9000-01-01T00:00:00Z"}, headers=sandbox_headers)
    assert last.status_code == 200
    again = await client.post(CLOCK, json={"advanceSeconds": 1}, headers=sandbox_headers)
    assert again.status_code == 400
    campaign = (await client.post("/sandbox/campaigns", json={}, headers=sandbox_headers)).json()
    order = await client.post(
        f"/sandbox/campaigns/{campaign['campaignId']}/orders",
        json={
            "items": [{"offerId": "kettle", "count": 1, "price": 990}],
            "delivery": {"type": "DELIVERY"},
        },
        headers=sandbox_headers,
    )
    assert order.status_code == 201, order.text
    assert order.json()["order"]["creationDate"] == "01-01-9000 03:00:00"


@pytest.mark.decision("The sandbox clock")
@pytest.mark.decision("Running due events in rounds")
async def test_the_answer_counts_the_events_run_and_those_remaining(
    app: FastAPI, client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    runtime: Runtime = app.state.runtime

    def chain(conn: Transaction, event: ScheduledEvent) -> str:
        if event.payload["name"] == "first":  # adds one event due before the new now, one after
            for name, minutes in (("second", 60), ("late", 5 * 60)):
                schedule(
                    conn,
                    kind="test.chain",
                    due_at=event.due_at + timedelta(minutes=minutes),
                    payload={"name": name},
                    now=event.due_at,
                )
        return "chained"

    runtime.scheduler.register_writes("test.chain", chain)
    now = runtime.clock.now()
    with runtime.db.write() as conn:
        for name, minutes in (("first", 30), ("far", 10 * 60)):
            schedule(
                conn,
                kind="test.chain",
                due_at=now + timedelta(minutes=minutes),
                payload={"name": name},
                now=now,
            )

    response = await client.post(CLOCK, json={"advanceSeconds": 2 * 3600}, headers=sandbox_headers)
    assert response.status_code == 200
    body = response.json()
    assert parse(body["now"]) - now >= timedelta(hours=2)
    assert body == {"now": body["now"], "eventsRun": 2, "eventsRemaining": 2}  # first, second

    response = await client.post(CLOCK, json={"advanceSeconds": 9 * 3600}, headers=sandbox_headers)
    assert response.json() == {"now": response.json()["now"], "eventsRun": 2, "eventsRemaining": 0}
    response = await client.post(CLOCK, json={"advanceSeconds": 0}, headers=sandbox_headers)
    assert response.json() == {"now": response.json()["now"], "eventsRun": 0, "eventsRemaining": 0}
