"""Two ``dbskit serve`` processes on one PostgreSQL database and one Redis, under a mixed write
load through both, while one is killed with SIGKILL and started again, Redis stalls for three
seconds, and the clock moves on one of them.

What must hold: every write that got a 2xx is stored; the hourly budget, counted in Redis, is
never over-spent; a stalled Redis costs a 503 and not a hang, and service comes back with it; a
clock moved through one instance reaches the other's limiter. The times to the 503 and to the
other instance's new window are printed (docs/benchmarks.md keeps them), never asserted.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import _postgres_schema, postgres_url
from tests.e2e.server import Server, running_server, sandbox_seller
from tests.redis_server import running_redis

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

TOKEN = "chaos-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
BUDGET = 300  # setOrderDeliveryTrackCode's hourly figure for this run
WRITES = 420  # attempted: more than the budget, so the 420 is reached
ORDERS = 24
THREADS = 4
CLOCK_REFRESH_SECONDS = 1.0
KILL_AFTER_ACKNOWLEDGED = 120


@dataclass
class Load:
    """The writes sent and what came back; targets change while it runs (a restart)."""

    targets: list[str]
    acknowledged: list[tuple[int, str]] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, order_id: int, code: str) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                self.acknowledged.append((order_id, code))


@contextmanager
def _postgres() -> Iterator[str]:
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL not configured: set DBSKIT_TEST_POSTGRES_URL")
    yield from _postgres_schema(base)


def _serve(stack: ExitStack, args: list[str]) -> Server:
    env = {"DBSKIT_SANDBOX_TOKEN": TOKEN}
    return stack.enter_context(running_server(args, env=env, ready_headers=SANDBOX))


@pytest.mark.rule("R-083", "R-085")
@pytest.mark.decision("Limits")
def test_two_instances_lose_nothing_and_never_overspend(tmp_path: Path) -> None:
    with _postgres() as database_url, running_redis() as redis_url, ExitStack() as stack:
        args = [
            "--data-dir", str(tmp_path / "data"), "--database-url", database_url,
            "--redis-url", redis_url, "--parallel-limit", "64",
            "--limit-overrides", f'{{"setOrderDeliveryTrackCode": {BUDGET}}}',
            "--clock-refresh-seconds", str(CLOCK_REFRESH_SECONDS),
        ]  # fmt: skip
        first = _serve(stack, args)
        second = _serve(stack, args)
        http = stack.enter_context(httpx.Client(timeout=10))
        seller = sandbox_seller(first.base_url, TOKEN, orders=ORDERS)
        key, campaign, orders = seller.api_key, seller.campaign_id, seller.order_ids
        load = Load(targets=[first.base_url, second.base_url])

        _run_load(http, load, key, campaign, orders, kill=first)
        restarted = _serve(stack, args)  # started again, on the same database and Redis

        # Every acknowledged write is stored; the budget is never over-spent.
        stored = _stored_tracks(http, restarted.base_url, campaign, orders)
        missing = set(load.acknowledged) - stored
        assert not missing, f"acknowledged but not stored: {sorted(missing)[:5]}"
        assert len(load.acknowledged) <= BUDGET
        assert len(stored) <= BUDGET
        assert load.statuses.get(420, 0) > 0, load.statuses
        assert not any(status >= 500 for status in load.statuses), load.statuses
        print(
            f"\n{len(load.acknowledged)} writes acknowledged and stored, {len(stored)} stored "
            f"in all, answers by status {dict(sorted(load.statuses.items()))}"
        )

        _stall_redis(http, redis_url, [second.base_url, restarted.base_url], key, campaign, orders)
        _clock_reaches_the_other_instance(
            http, restarted.base_url, second.base_url, key, campaign, orders
        )


def _track(http: httpx.Client, base: str, key: str, campaign: int, order_id: int, code: str) -> int:
    answer = http.post(
        f"{base}/v2/campaigns/{campaign}/orders/{order_id}/delivery/track",
        json={"trackCode": code, "deliveryServiceId": 99},
        headers={"Api-Key": key},
    )
    return answer.status_code


def _run_load(
    http: httpx.Client, load: Load, key: str, campaign: int, orders: list[int], *, kill: Server
) -> None:
    numbers = itertools.count()
    killed = threading.Event()

    def worker() -> None:
        with httpx.Client(timeout=10) as own:
            while (number := next(numbers)) < WRITES:
                order_id = orders[number % len(orders)]
                code = f"CH{number:09d}RU"
                with load.lock:
                    base = load.targets[number % len(load.targets)]
                try:
                    status = _track(own, base, key, campaign, order_id, code)
                except httpx.TransportError:
                    continue  # no answer: not acknowledged, whatever happened to it
                load.record(status, order_id, code)
                if len(load.acknowledged) >= KILL_AFTER_ACKNOWLEDGED and not killed.is_set():
                    killed.set()
                    os.kill(kill.process.pid, signal.SIGKILL)
                    with load.lock:
                        load.targets.remove(kill.base_url)

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(worker) for _ in range(THREADS)]:
            future.result()
    assert killed.is_set()


def _stored_tracks(
    http: httpx.Client, base: str, campaign: int, orders: list[int]
) -> set[tuple[int, str]]:
    stored = set()
    for order_id in orders:
        view = http.get(f"{base}/sandbox/campaigns/{campaign}/orders/{order_id}", headers=SANDBOX)
        assert view.status_code == 200, view.text
        stored |= {(order_id, track["trackCode"]) for track in view.json()["tracks"]}
    return stored


def _stall_redis(
    http: httpx.Client,
    redis_url: str,
    bases: list[str],
    key: str,
    campaign: int,
    orders: list[int],
) -> None:
    with redis.Redis.from_url(redis_url) as client:
        info: dict[str, object] = client.info("server")
    pid = int(str(info["process_id"]))
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        for base in bases:
            status = _track(http, base, key, campaign, orders[0], "STALLED")
            assert status == 503
        waited = (time.monotonic() - started) / len(bases)
        assert waited < 5, "a stalled Redis must not hold a call"  # a hang detector
        print(f"\nstalled Redis: a 503 after {waited * 1000:.0f} ms on average")
    finally:
        os.kill(pid, signal.SIGCONT)
    for base in bases:
        status = 503
        for _ in range(100):  # a hang detector: Redis answers again at once
            status = _track(http, base, key, campaign, orders[0], "BACK")
            if status != 503:
                break
            time.sleep(0.1)
        assert status in (200, 420)


def _clock_reaches_the_other_instance(
    http: httpx.Client, moved: str, other: str, key: str, campaign: int, orders: list[int]
) -> None:
    assert _track(http, other, key, campaign, orders[1], "SPENT") == 420  # the budget is spent
    advanced = http.post(moved + "/sandbox/clock", json={"advanceSeconds": 3600}, headers=SANDBOX)
    assert advanced.status_code == 200
    started = time.monotonic()
    while _track(http, other, key, campaign, orders[1], "NEW-HOUR") == 420:
        # A hang detector: the other instance reads the clock within its refresh interval.
        assert time.monotonic() - started < 10 * CLOCK_REFRESH_SECONDS + 5
        time.sleep(0.05)
    print(
        f"clock moved on one instance: the other's new window after "
        f"{(time.monotonic() - started) * 1000:.0f} ms"
    )
