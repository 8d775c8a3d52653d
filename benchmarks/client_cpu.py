"""The client's own CPU per call: ``MarketClient`` and ``AsyncMarketClient`` against bare httpx.

Both send the same request (method, path, query, body bytes and headers) to the no-op server
(``benchmarks/client_noop.py``) and get the same answer; bare httpx only reads the body, the client
builds its request from the contract's models and reads the answer into them. The difference in
the client process's CPU time (``time.process_time``) over a batch of calls, divided by the calls,
is the client's own cost of a call. For each operation, a round alternates batches of bare and
client calls (so that both see the machine of the same moment, which is shared and noisy) and
takes the median of the pairs' differences; the figure is the median over rounds.

The answers are the emulator's own, captured from ``dbskit serve`` before the measurement: a
track call's ``{"status": "OK"}``, getOrder of an order of two lines, and pages of
``PAGE_ORDERS`` orders of getOrders and getBusinessOrders.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import threading
import time
import timeit
import warnings
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks import client_noop, servers, targets
from benchmarks._paths import REPO, child_env
from benchmarks.method_setups import bench_settings
from benchmarks.targets import UVICORN_FLAGS
from dbskit.client import AsyncMarketClient, MarketClient, _core
from dbskit.client import _calls as calls
from dbskit.client import _shapes as shapes
from dbskit.client._calls import Call

PAGE_ORDERS = 50  # a full page of getBusinessOrders (and of getOrders by token)
SETUP_THREADS = 8
TRACK_SERVICE_ID = 51  # a carrier of the delivery services directory
TRACK_CODE = "TRK0001"
# An order of two lines, as the getOrder workload's.
_ORDER_BODY = {
    "items": [
        {"offerId": "sku-1", "count": 2, "price": 990},
        {"offerId": "cable", "count": 1, "price": 150, "marking": "CIS"},
    ],
    "delivery": {"type": "DELIVERY"},
}

Json = dict[str, Any]


@dataclass(frozen=True)
class Captured:
    """The emulator's answers (by ``client_noop`` name) and the ids the calls name."""

    bodies: dict[str, str]
    campaign_id: int
    business_id: int
    order_id: int
    api_key: str


@dataclass(frozen=True)
class Operation:
    """One measured operation: the bare request and the client's call, sync and async."""

    name: str
    call: Call[Any]
    sync: Callable[[MarketClient], object]
    run_async: Callable[[AsyncMarketClient], Awaitable[object]]
    calls: int  # a round's, in ``Plan.pairs`` pairs of batches


@dataclass(frozen=True)
class Figure:
    """µs of client-process CPU per call, median over rounds, and each round's difference."""

    operation: str
    flavour: str  # "sync" or "async"
    bare_us: float
    client_us: float
    own_us: float
    rounds_own_us: tuple[float, ...]
    # The best batch of each side over all rounds: load only ever adds CPU time to a batch (a
    # busy core's caches and clock), so each side's least is its cost on the quietest moment of
    # the run, as timeit's best-of-N is; their difference is the client's own cost on a quiet
    # machine, the figure the target is about.
    quiet_own_us: float


# --- the answers, from the emulator ------------------------------------------------------------


def capture(page_orders: int = PAGE_ORDERS) -> Captured:
    """Start ``dbskit serve``, place ``page_orders`` test orders, keep its answers; stop it."""
    token = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="dbskit-client-bench-") as data_dir:
        server = targets.start_dbskit(
            data_dir=Path(data_dir), sandbox_token=token, workers=1, settings=bench_settings()
        )
        try:
            with httpx.Client(base_url=server.base_url, timeout=60) as http:
                return _capture(http, token, page_orders)
        finally:
            server.stop()


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response


def _capture(http: httpx.Client, token: str, page_orders: int) -> Captured:
    sandbox = {"Sandbox-Token": token}
    campaign = _checked(http.post("/sandbox/campaigns", json={}, headers=sandbox)).json()
    campaign_id, business_id = int(campaign["campaignId"]), int(campaign["businessId"])
    scopes = {"businessId": business_id, "scopes": ["all-methods"]}
    api_key = _checked(http.post("/sandbox/tokens", json=scopes, headers=sandbox)).json()["apiKey"]

    def place(_: int) -> Json:
        path = f"/sandbox/campaigns/{campaign_id}/orders"
        order: Json = _checked(http.post(path, json=_ORDER_BODY, headers=sandbox)).json()["order"]
        return order

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        orders = list(pool.map(place, range(page_orders)))
    order_id = int(orders[0]["id"])
    key = {"Api-Key": api_key}
    order_path = f"/v2/campaigns/{campaign_id}/orders/{order_id}"
    track = {"trackCode": TRACK_CODE, "deliveryServiceId": TRACK_SERVICE_ID}
    limit = {"limit": page_orders}
    bodies = {
        client_noop.TRACK: http.post(f"{order_path}/delivery/track", json=track, headers=key),
        client_noop.ORDER: http.get(order_path, headers=key),
        client_noop.ORDERS_PAGE: http.get(  # test orders are listed when asked for
            f"/v2/campaigns/{campaign_id}/orders", params={**limit, "fake": "true"}, headers=key
        ),
        client_noop.BUSINESS_PAGE: http.post(
            f"/v1/businesses/{business_id}/orders", params=limit, json={"fake": True}, headers=key
        ),
    }
    captured = {name: _checked(response).text for name, response in bodies.items()}
    for name in (client_noop.ORDERS_PAGE, client_noop.BUSINESS_PAGE):
        found = len(json.loads(captured[name])["orders"])
        if found != page_orders:
            raise RuntimeError(f"the {name} answer holds {found} orders, not {page_orders}")
    return Captured(captured, campaign_id, business_id, order_id, api_key)


# --- the no-op server --------------------------------------------------------------------------


@contextmanager
def noop_server(bodies: dict[str, str]) -> Iterator[servers.Server]:
    """``client_noop`` under uvicorn on a free loopback port, answering ``bodies``."""
    with tempfile.TemporaryDirectory(prefix="dbskit-client-noop-") as folder:
        bodies_path = Path(folder) / "bodies.json"
        bodies_path.write_text(json.dumps(bodies))
        port = servers.free_port()
        command = [sys.executable, "-m", "uvicorn", "benchmarks.client_noop:app"]
        command += ["--app-dir", str(REPO), "--host", servers.HOST, "--port", str(port)]
        command += ["--lifespan", "off", *UVICORN_FLAGS]
        env = child_env({client_noop.BODIES_VARIABLE: str(bodies_path)})
        server = servers.start(
            "client-noop", command, port=port, env=env, ready_path=client_noop.READY_PATH
        )
        try:
            yield server
        finally:
            server.stop()


# --- the operations ----------------------------------------------------------------------------


def operations(captured: Captured, *, calls_per_round: int, page_calls: int) -> list[Operation]:
    """Set-the-track, getOrder, and a page of getOrders and of getBusinessOrders."""
    campaign, order, business = captured.campaign_id, captured.order_id, captured.business_id
    page = len(json.loads(captured.bodies[client_noop.ORDERS_PAGE])["orders"])
    request = shapes.business_orders_request(None, {"fake": True})
    return [
        Operation(
            "set the track",
            shapes.track(campaign, order, None, TRACK_CODE, TRACK_SERVICE_ID),
            lambda m: m.set_order_delivery_track_code(
                campaign_id=campaign,
                order_id=order,
                track_code=TRACK_CODE,
                delivery_service_id=TRACK_SERVICE_ID,
            ),
            lambda m: m.set_order_delivery_track_code(
                campaign_id=campaign,
                order_id=order,
                track_code=TRACK_CODE,
                delivery_service_id=TRACK_SERVICE_ID,
            ),
            calls_per_round,
        ),
        Operation(
            "getOrder",
            calls.get_order(campaign, order),
            lambda m: m.get_order(campaign_id=campaign, order_id=order),
            lambda m: m.get_order(campaign_id=campaign, order_id=order),
            calls_per_round,
        ),
        Operation(
            f"getOrders, {page} orders",
            calls.get_orders(campaign, calls.orders_query(fake=True, limit=page)),
            lambda m: m.get_orders(campaign_id=campaign, fake=True, limit=page),
            lambda m: m.get_orders(campaign_id=campaign, fake=True, limit=page),
            page_calls,
        ),
        Operation(
            f"getBusinessOrders, {page} orders",
            shapes.business_orders(business, request, None, page),
            lambda m: m.get_business_orders(business_id=business, fake=True, limit=page),
            lambda m: m.get_business_orders(business_id=business, fake=True, limit=page),
            page_calls,
        ),
    ]


def _bare_headers(api_key: str, call: Call[Any]) -> dict[str, str]:
    """What the client sends: the key, the body's type, a request id."""
    headers = {"Api-Key": api_key, "X-Request-Id": "0123456789abcdef-1"}
    if call.content is not None:
        headers["Content-Type"] = "application/json"
    return headers


@dataclass(frozen=True)
class Round:
    """One round of an operation: µs per call, medians over its pairs of batches."""

    bare_us: float
    client_us: float
    own_us: float  # the median of the pairs' differences
    least_bare_us: float
    least_client_us: float


def _round(pairs: list[tuple[float, float]]) -> Round:
    """Bare and client batches alternate, so that both see the machine of the same moment; the
    difference is taken pair by pair."""
    return Round(
        statistics.median(bare for bare, _ in pairs),
        statistics.median(client for _, client in pairs),
        statistics.median(client - bare for bare, client in pairs),
        min(bare for bare, _ in pairs),
        min(client for _, client in pairs),
    )


def _figure(name: str, flavour: str, rounds: list[Round]) -> Figure:
    return Figure(
        name,
        flavour,
        statistics.median(r.bare_us for r in rounds),
        statistics.median(r.client_us for r in rounds),
        statistics.median(r.own_us for r in rounds),
        tuple(r.own_us for r in rounds),
        min(r.least_client_us for r in rounds) - min(r.least_bare_us for r in rounds),
    )


def _cpu_us(started: float, count: int) -> float:
    return (time.process_time() - started) / count * 1e6


def _sync_batch(run: Callable[[], object], count: int) -> float:
    """µs of this process's CPU per call of ``run``, over ``count`` calls."""
    started = time.process_time()
    for _ in range(count):
        run()
    return _cpu_us(started, count)


async def _async_batch(run: Callable[[], Awaitable[object]], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        await run()
    return _cpu_us(started, count)


@dataclass(frozen=True)
class Plan:
    rounds: int
    pairs: int  # pairs of batches a round
    warmup: int  # unmeasured calls of each before the rounds


def measure_sync(base_url: str, api_key: str, ops: list[Operation], plan: Plan) -> list[Figure]:
    figures = []
    with (
        httpx.Client(base_url=base_url, timeout=30) as http,
        MarketClient(api_key=api_key, base_url=base_url) as market,
    ):
        for op in ops:
            call, headers = op.call, _bare_headers(api_key, op.call)

            def bare(call: Call[Any] = call, headers: dict[str, str] = headers) -> object:
                response = http.request(
                    call.method, call.path, params=call.query or None, content=call.content,
                    headers=headers,
                )  # fmt: skip
                return response.content

            def client(op: Operation = op) -> object:
                return op.sync(market)

            _sync_batch(bare, plan.warmup)
            _sync_batch(client, plan.warmup)
            batch = max(1, op.calls // plan.pairs)
            rounds = [
                _round(
                    [
                        (_sync_batch(bare, batch), _sync_batch(client, batch))
                        for _ in range(plan.pairs)
                    ]
                )
                for _ in range(plan.rounds)
            ]
            figures.append(_figure(op.name, "sync", rounds))
    return figures


def measure_async(base_url: str, api_key: str, ops: list[Operation], plan: Plan) -> list[Figure]:
    async def measure() -> list[Figure]:
        figures = []
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=30) as http,
            AsyncMarketClient(api_key=api_key, base_url=base_url) as market,
        ):
            for op in ops:
                call, headers = op.call, _bare_headers(api_key, op.call)

                async def bare(call: Call[Any] = call, headers: dict[str, str] = headers) -> object:
                    response = await http.request(
                        call.method, call.path, params=call.query or None, content=call.content,
                        headers=headers,
                    )  # fmt: skip
                    return response.content

                def client(op: Operation = op) -> Awaitable[object]:
                    return op.run_async(market)

                await _async_batch(bare, plan.warmup)
                await _async_batch(client, plan.warmup)
                batch = max(1, op.calls // plan.pairs)
                rounds = []
                for _ in range(plan.rounds):
                    pairs = []
                    for _ in range(plan.pairs):
                        bare_us = await _async_batch(bare, batch)
                        pairs.append((bare_us, await _async_batch(client, batch)))
                    rounds.append(_round(pairs))
                figures.append(_figure(op.name, "async", rounds))
        return figures

    return asyncio.run(measure())


def run(
    plan: Plan, *, calls_per_round: int, page_calls: int, page_orders: int
) -> tuple[list[Figure], dict[str, float]]:
    """Capture the answers, serve them from the no-op server, measure sync then async; then
    getOrder's own work piece by piece."""
    captured = capture(page_orders)
    ops = operations(captured, calls_per_round=calls_per_round, page_calls=page_calls)
    with noop_server(captured.bodies) as server, warnings.catch_warnings():
        # getOrder and getOrders warn that the Market retires them; a seller's code sees the
        # warning once (Python's default filters), not on every call.
        warnings.simplefilter("ignore", DeprecationWarning)
        figures = measure_sync(server.base_url, captured.api_key, ops, plan)
        figures += measure_async(server.base_url, captured.api_key, ops, plan)
    return figures, getorder_work_alone(captured)


def getorder_work_alone(captured: Captured, *, number: int = 2000) -> dict[str, float]:
    """µs of each piece of the client's own work on a getOrder call, timed alone in process
    (best of five): what the difference above holds once HTTP is taken away."""
    response = httpx.Response(200, content=captured.bodies[client_noop.ORDER].encode())
    call = calls.get_order(captured.campaign_id, captured.order_id)
    cap = threading.BoundedSemaphore(2)

    def through_the_cap() -> None:
        with cap:
            pass

    def warn() -> None:
        warnings.warn("getOrder is retiring", DeprecationWarning, stacklevel=2)

    pieces: dict[str, Callable[[], object]] = {
        "the answer read into GetOrderResponse": lambda: _core.read_answer(call, response),
        "the call (path from the operation table)": lambda: calls.get_order(
            captured.campaign_id, captured.order_id
        ),
        "the token's cap (a semaphore)": through_the_cap,
        "the deprecation warning (ignored)": warn,
        "the request id": _core.next_request_id,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return {
            name: min(timeit.repeat(piece, number=number, repeat=5)) / number * 1e6
            for name, piece in pieces.items()
        }
