"""Two ``dbskit serve`` processes on one database run the due events between them: the clock
moved through the first, the second's background ticker running rounds at the same time. Each
notification attempt is made once (R-116)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import running_server, sandbox_seller
from tests.notification_listener import FAIL, serve

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "e2e-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
ENV = {"DBSKIT_SANDBOX_TOKEN": TOKEN}
ORDERS = 6
HANG = 120.0  # a hang detector, not a measurement


@pytest.mark.rule("R-116")
@pytest.mark.decision("Running due events in rounds")
async def test_two_instances_make_each_attempt_once(tmp_path: Path, database_url: str) -> None:
    shared = [
        *("--data-dir", str(tmp_path / "data"), "--database-url", database_url),
        *("--notification-timeout-seconds", str(HANG)),  # a slow moment is not a timeout
    ]
    # The first runs events only when its clock is moved; the second runs them as soon as they
    # are due, and follows a clock moved through the first within 0.05 s.
    quiet = ["--scheduler-interval-seconds", "3600"]
    busy = ["--scheduler-interval-seconds", "0.05", "--clock-refresh-seconds", "0.05"]
    async with serve(FAIL) as store:
        with (
            running_server([*shared, *quiet], env=ENV, ready_headers=SANDBOX) as first,
            running_server([*shared, *busy], env=ENV, ready_headers=SANDBOX) as second,
        ):
            # In a thread: the store answers on this event loop meanwhile.
            seller = await asyncio.to_thread(
                sandbox_seller,
                first.base_url,
                TOKEN,
                orders=ORDERS,
                campaign={"notificationUrl": store.url},
            )
            async with httpx.AsyncClient(headers=SANDBOX, timeout=HANG) as http:
                moved = await http.post(
                    first.base_url + "/sandbox/clock", json={"advanceSeconds": 30 * 60}
                )
                assert moved.status_code == 200, moved.text
                # Waits for the second instance's rounds in progress, then runs what they left
                # due (the next attempts of a round that ended after the first call's).
                settled = await http.post(
                    second.base_url + "/sandbox/clock", json={"advanceSeconds": 0}
                )
                assert settled.status_code == 200, settled.text
                listing = await http.get(
                    first.base_url + "/sandbox/outbox", params={"campaignId": seller.campaign_id}
                )
    messages = listing.json()["messages"]
    assert sorted(m["orderId"] for m in messages) == sorted(seller.order_ids)
    received = Counter(request.json()["orderId"] for request in store.received)
    minute = timedelta(minutes=1)
    for message in messages:
        created = datetime.fromisoformat(message["createdAt"])
        attempts = message["attempts"]
        # Minutes 0..30 at least (a loaded machine may take more than a minute of real time).
        assert len(attempts) >= 31
        assert [a["number"] for a in attempts] == list(range(1, len(attempts) + 1))
        assert [datetime.fromisoformat(a["scheduledAt"]) - created for a in attempts] == [
            n * minute for n in range(len(attempts))
        ]
        assert {a["errorSubtype"] for a in attempts} == {"HTTP"}
        assert received[message["orderId"]] == len(attempts)  # each attempt made once
