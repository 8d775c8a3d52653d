"""The sandbox clock: how long one ``POST /sandbox/clock`` takes to run what fell due.

``python -m benchmarks.clock [--workload clock-retries|clock-orders] [--runs 3]
[--database-url URL]``

- ``clock-retries``: ``--notifications`` (359) test orders on a campaign whose notification URL
  is a closed loopback port, so that every ``ORDER_CREATED`` is refused and retried on the R-116
  schedule; then the clock moves 2 days in one call: about 63,000 attempts, each recorded in the
  outbox (the run counts them there).
- ``clock-orders``: ``--orders`` (1,000) DELIVERY test orders whose buyer asks to cancel, then
  the clock moves 25 hours (untimed), then as many DIGITAL orders get their keys; the timed call
  moves the clock 1 day, through the keys e-mails (5 s after the keys, OQ-05) and the automatic
  cancellations (48 hours after the request, R-102).

Each run starts ``dbskit serve`` on a fresh data dir (SQLite) or a fresh database of the
``--database-url`` server, prepares everything through the HTTP API, and times the one call. The
background ticker is off (``DBSKIT_SCHEDULER_INTERVAL_SECONDS``), so that the timed call runs
every event. Prints each run (wall time, the server's CPU time, the answer's counts) and the
median.
"""

from __future__ import annotations

import argparse
import secrets
import socket
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks import servers, targets
from benchmarks.method_setups import ACTIVATE_TILL, bench_settings

NOTIFICATIONS = 359
ORDERS = 1000
RETRIES_ADVANCE_S = 2 * 86_400
ORDERS_ADVANCE_S = 86_400
# The buyer's requests are made this long before the timed call, so that their 48-hour
# cancellations fall inside its day.
REQUESTS_AHEAD_S = 25 * 3600
SETUP_THREADS = 8
CALL_TIMEOUT_S = 600.0
WORKLOADS = ("clock-retries", "clock-orders")

Json = dict[str, Any]


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    answer: Json
    note: str


class Setup:
    """The sandbox HTTP API of a running server."""

    def __init__(self, server: servers.Server, token: str) -> None:
        self.http = httpx.Client(
            base_url=server.base_url, headers={"Sandbox-Token": token}, timeout=CALL_TIMEOUT_S
        )

    def post(self, path: str, body: Json, headers: dict[str, str] | None = None) -> Json:
        response = self.http.post(path, json=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
        answer: Json = response.json()
        return answer

    def campaign(self, **settings: str) -> Json:
        return self.post("/sandbox/campaigns", settings)

    def orders(self, campaign_id: int, body: Json, count: int) -> list[Json]:
        def place(_: int) -> Json:
            placed: Json = self.post(f"/sandbox/campaigns/{campaign_id}/orders", body)["order"]
            return placed

        return _in_parallel(place, range(count))

    def advance(self, seconds: float) -> Json:
        return self.post("/sandbox/clock", {"advanceSeconds": seconds})


def _in_parallel(work: Callable[[Any], Json], items: Any) -> list[Json]:
    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        return list(pool.map(work, items))


def closed_port_url() -> str:
    """A loopback URL nobody listens on: every connection is refused."""
    with socket.socket() as sock:
        sock.bind((servers.HOST, 0))
        return f"http://{servers.HOST}:{sock.getsockname()[1]}"


def prepare_retries(setup: Setup, notifications: int) -> tuple[float, Callable[[], str]]:
    campaign = setup.campaign(notificationUrl=closed_port_url())
    order = {"items": [{"offerId": "kettle", "count": 1, "price": 990}]}
    setup.orders(campaign["campaignId"], {**order, "delivery": {"type": "DELIVERY"}}, notifications)

    def check() -> str:
        response = setup.http.get("/sandbox/outbox", params={"campaignId": campaign["campaignId"]})
        messages = response.json()["messages"]
        attempts = sum(len(message["attempts"]) for message in messages)
        return f"{len(messages)} notifications, {attempts} attempts in the outbox"

    return RETRIES_ADVANCE_S, check


def prepare_orders(setup: Setup, orders: int) -> tuple[float, Callable[[], str]]:
    campaign = setup.campaign()
    campaign_id = campaign["campaignId"]
    key = setup.post(
        "/sandbox/tokens", {"businessId": campaign["businessId"], "scopes": ["all-methods"]}
    )["apiKey"]
    line = {"items": [{"offerId": "game", "count": 1, "price": 990}]}
    delivering = {**line, "delivery": {"type": "DELIVERY"}, "status": "DELIVERY"}
    waiting = setup.orders(campaign_id, delivering, orders)
    cancel = {"status": "CANCELLED", "substatus": "USER_CHANGED_MIND"}  # a request
    _in_parallel(
        lambda order: setup.post(
            f"/sandbox/campaigns/{campaign_id}/orders/{order['id']}/status", cancel
        ),
        waiting,
    )
    setup.advance(REQUESTS_AHEAD_S)
    digital = setup.orders(campaign_id, {**line, "delivery": {"type": "DIGITAL"}}, orders)

    def deliver(order: Json) -> Json:
        [item] = order["items"]
        body = {
            "items": [
                {
                    "id": item["id"],
                    "codes": [f"KEY-{order['id']}"],
                    "slip": "<p>Enter the key in the launcher.</p>",
                    "activate_till": ACTIVATE_TILL,
                }
            ]
        }
        return setup.post(
            f"/v2/campaigns/{campaign_id}/orders/{order['id']}/deliverDigitalGoods",
            body,
            headers={"Api-Key": key},
        )

    _in_parallel(deliver, digital)

    def check() -> str:
        statuses: dict[str, int] = {}
        for order in [*waiting, *digital]:
            path = f"/sandbox/campaigns/{campaign_id}/orders/{order['id']}"
            found = setup.http.get(path).json()["order"]["status"]
            statuses[found] = statuses.get(found, 0) + 1
        return ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))

    return ORDERS_ADVANCE_S, check


@contextmanager
def served(database_url: str | None) -> Iterator[tuple[servers.Server, str]]:
    token = secrets.token_urlsafe(16)
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbskit-clock-")))
        url = None
        if database_url:
            url = stack.enter_context(targets.fresh_postgres_database(database_url))
        settings = bench_settings()
        settings.pop("DBSKIT_DIGITAL_DELIVERY_DELAY_SECONDS")  # the keys e-mail at 5 s (OQ-05)
        settings["DBSKIT_SCHEDULER_INTERVAL_SECONDS"] = str(365 * 86_400)
        server = targets.start_dbskit(
            data_dir=data_dir, sandbox_token=token, workers=1, database_url=url, settings=settings
        )
        stack.callback(server.stop)
        yield server, token


def run_once(workload: str, args: argparse.Namespace) -> Run:
    with served(args.database_url) as (server, token):
        setup = Setup(server, token)
        if workload == "clock-retries":
            seconds, check = prepare_retries(setup, args.notifications)
        else:
            seconds, check = prepare_orders(setup, args.orders)
        cpu = server.cpu_seconds()
        started = time.perf_counter()
        answer = setup.advance(seconds)
        took = time.perf_counter() - started
        cpu = server.cpu_seconds() - cpu
        note = check()
        setup.http.close()
    return Run(took, cpu, answer, note)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clock")
    parser.add_argument("--workload", choices=WORKLOADS, action="append", help="(both)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each workload (3)")
    parser.add_argument("--notifications", type=int, default=NOTIFICATIONS, help="(359)")
    parser.add_argument("--orders", type=int, default=ORDERS, help="of each kind (1,000)")
    parser.add_argument(
        "--database-url", help="run dbskit on a fresh database of this PostgreSQL server"
    )
    args = parser.parse_args()
    storage = "PostgreSQL" if args.database_url else "SQLite"
    for workload in args.workload or WORKLOADS:
        runs = []
        for number in range(1, args.runs + 1):
            run = run_once(workload, args)
            runs.append(run)
            # ``get``: a commit from before the answer's counts can be measured as well.
            print(
                f"{workload} ({storage}) run {number}: {run.seconds:.2f} s, "
                f"server CPU {run.cpu_seconds:.2f} s, eventsRun {run.answer.get('eventsRun')}, "
                f"eventsRemaining {run.answer.get('eventsRemaining')}; {run.note}",
                flush=True,
            )
        median = statistics.median(run.seconds for run in runs)
        print(f"{workload} ({storage}) median of {len(runs)}: {median:.2f} s", flush=True)


if __name__ == "__main__":
    main()
