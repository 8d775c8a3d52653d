"""deliverDigitalGoods from one ``AsyncMarketClient`` at many tasks, against the parallel limit.

``CALLS`` calls on as many DIGITAL test orders, sent by ``TASKS`` concurrent tasks of one client
with its default cap (``DEFAULT_MAX_CONCURRENCY`` = the documented 2 calls of a token in flight,
R-086), against two ``dbskit serve``:

- limited: the parallel limit at the documented 2 (``DBSKIT_PARALLEL_LIMIT``);
- raised: the parallel limit out of the way, so that nothing but the client's own cap holds calls.

Every call must succeed and no 420 may reach the caller; the figure is the limited run's time over
the raised run's. The retries the client made (``on_retry``) are counted by reason: a parallel
420 the client waited out costs at least its backoff's first step.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from benchmarks import servers, targets
from benchmarks.method_setups import bench_settings
from dbskit.client import AsyncMarketClient, MarketError, RateLimitedError, RetryEvent
from dbskit.contract import limits

CALLS = 1_000
TASKS = 16
SETUP_THREADS = 8
LIMITED = limits.PARALLEL_REQUESTS_PER_TOKEN  # 2
RAISED = 1_000_000
ACTIVATE_TILL = date(2030, 12, 31)
SLIP = "<p>Enter the key in the launcher.</p>"
_DIGITAL_ORDER = {
    "items": [{"offerId": "game-standard", "count": 1, "price": 1990}],
    "delivery": {"type": "DIGITAL"},
}

Json = dict[str, Any]


@dataclass(frozen=True)
class Seller:
    """A server with a key and its DIGITAL orders (campaign, order id, item id) not yet served."""

    server: servers.Server
    api_key: str
    campaign_id: int
    orders: list[tuple[int, int]]  # (order id, its one item's id)


@dataclass(frozen=True)
class Outcome:
    seconds: float
    succeeded: int
    limited_420s: int  # 420s that reached the caller
    other_errors: int
    retries: dict[str, int]  # by reason


@contextmanager
def served(parallel_limit: int) -> Iterator[tuple[servers.Server, str]]:
    """``dbskit serve`` with the bench settings and this parallel limit; its sandbox token."""
    token = secrets.token_urlsafe(16)
    settings = {**bench_settings(), "DBSKIT_PARALLEL_LIMIT": str(parallel_limit)}
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbskit-par-")))
        server = targets.start_dbskit(
            data_dir=data_dir, sandbox_token=token, workers=1, settings=settings
        )
        stack.callback(server.stop)
        yield server, token


def seller(server: servers.Server, token: str, orders: int) -> Seller:
    """A campaign, a full-access key and ``orders`` DIGITAL test orders in PROCESSING."""
    sandbox = {"Sandbox-Token": token}
    with httpx.Client(base_url=server.base_url, headers=sandbox, timeout=60) as http:

        def post(path: str, body: Json) -> Json:
            response = http.post(path, json=body)
            if response.status_code >= 300:
                raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
            answer: Json = response.json()
            return answer

        campaign = post("/sandbox/campaigns", {})
        campaign_id = int(campaign["campaignId"])
        body = {"businessId": campaign["businessId"], "scopes": ["all-methods"]}
        api_key = str(post("/sandbox/tokens", body)["apiKey"])

        def place(_: int) -> tuple[int, int]:
            order = post(f"/sandbox/campaigns/{campaign_id}/orders", _DIGITAL_ORDER)["order"]
            return int(order["id"]), int(order["items"][0]["id"])

        with ThreadPoolExecutor(SETUP_THREADS) as pool:
            placed = list(pool.map(place, range(orders)))
    return Seller(server, api_key, campaign_id, placed)


async def deliver_all(target: Seller, *, tasks: int = TASKS) -> Outcome:
    """Every order of ``target`` gets its key, from ``tasks`` tasks sharing one client."""
    retries: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()

    def seen(event: RetryEvent) -> None:
        retries[event.reason.value if event.reason else "repeat"] += 1

    queue = list(reversed(target.orders))
    async with AsyncMarketClient(
        api_key=target.api_key, base_url=target.server.base_url, on_retry=seen
    ) as market:

        async def worker() -> None:
            while queue:
                order_id, item_id = queue.pop()
                try:
                    await market.provide_order_digital_codes(
                        campaign_id=target.campaign_id,
                        order_id=order_id,
                        keys={item_id: [f"KEY-{order_id}"]},
                        slip=SLIP,
                        activate_till=ACTIVATE_TILL,
                    )
                    outcomes["ok"] += 1
                except RateLimitedError:
                    outcomes["420"] += 1
                except MarketError:
                    outcomes["error"] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        seconds = time.perf_counter() - started
    return Outcome(seconds, outcomes["ok"], outcomes["420"], outcomes["error"], dict(retries))
