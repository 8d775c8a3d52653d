"""Two ``dbskit serve`` processes on one database: a full reset through one sets the other's
clock back to real time and its fault rules away, within the refresh interval."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import running_server, sandbox_seller

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
ENV = {"DBSKIT_SANDBOX_TOKEN": TOKEN}
REFRESH = "0.05"
HANG = 30.0  # a hang detector, not a measurement: the refresh interval is 0.05 s
YEAR = timedelta(days=365)


def clock(http: httpx.Client, base_url: str) -> datetime:
    return datetime.fromisoformat(http.get(base_url + "/sandbox/clock").json()["now"])


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {HANG} s")
        time.sleep(0.02)


@pytest.mark.decision("Resetting the sandbox")
@pytest.mark.decision("Fault injection")
def test_a_reset_through_one_instance_reaches_the_other(tmp_path: Path, database_url: str) -> None:
    args = [
        *("--data-dir", str(tmp_path / "data"), "--database-url", database_url),
        *("--clock-refresh-seconds", REFRESH),
    ]
    with (
        running_server(args, env=ENV, ready_headers=SANDBOX) as first,
        running_server(args, env=ENV, ready_headers=SANDBOX) as second,
        httpx.Client(headers=SANDBOX, timeout=HANG) as http,
    ):
        seller = sandbox_seller(first.base_url, TOKEN)
        order = f"/v2/campaigns/{seller.campaign_id}/orders/5"
        key = {"Api-Key": seller.api_key}
        rule = {"operationId": "getOrder", "fault": "SERVICE_UNAVAILABLE", "every": 1}
        assert http.post(first.base_url + "/sandbox/faults", json=rule).status_code == 201
        moved = http.post(first.base_url + "/sandbox/clock", json={"advanceSeconds": 86_400 * 365})
        assert moved.status_code == 200
        until(lambda: clock(http, second.base_url) - datetime.now().astimezone() > YEAR / 2,
              "the second instance follows the clock moved forward")  # fmt: skip
        until(lambda: http.get(second.base_url + order, headers=key).status_code == 503,
              "the second instance applies the rule")  # fmt: skip

        done = http.post(first.base_url + "/sandbox/reset").json()
        assert done["clockReset"] is True

        until(lambda: clock(http, second.base_url) - datetime.now().astimezone() < YEAR / 2,
              "the second instance sets its clock back")  # fmt: skip
        until(lambda: http.get(second.base_url + order, headers=key).status_code == 404,
              "the second instance drops the rule")  # fmt: skip
        moved = http.post(second.base_url + "/sandbox/clock", json={"advanceSeconds": 60})
        now = datetime.fromisoformat(moved.json()["now"])
        assert now - datetime.now().astimezone() < timedelta(hours=1)  # on from real time
