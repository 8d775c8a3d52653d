"""The client's own CPU per call: ``MarketClient`` and ``AsyncMarketClient`` against bare httpx.

Three sides send the same request (method, path, query, body bytes and headers) and get the same
answer, one of the emulator's own captured before the measurement (``capture``):

- **bare**: httpx sends it and reads the body;
- **typed floor**: the same, then the body read into the operation's contract model
  (``call.answer.model_validate_json``), the least any typed client does on top of httpx;
- **client**: the client's call, building the request from the contract's models and reading the
  answer into them.

The sides take turns call by call (the order rotating), each call timed with
``time.thread_time_ns``: a CPU clock of nanosecond resolution that counts this thread's work and
neither the server's nor the time spent waiting for the socket. Taking turns per call gives all
three the machine of the same moment, which on a shared host moves by half within minutes;
medians drop the calls that a preemption or a collection landed on. A round gives each side's
median; a figure is the median over rounds of own (client − bare), floor (typed floor − bare)
and own beyond the floor (client − typed floor).

Two settings. **Over loopback**, against the no-op server (``benchmarks/client_noop.py``).
There, whatever Python runs right after a blocking socket read runs with cold caches and costs
several times its warm cost, the typed floor's validation included: there the client is read
beside the floor, which pays the same for its one validation.
**Warm, in process**: the same three against ``httpx.MockTransport`` answering the same bodies,
no sockets, so the client's own work runs with warm caches, as it does timed alone.

Last, the pieces of the client's own work, each timed warm (``timeit``, best of five) and cold
(right after a bare getOrder over loopback, median, less the median of an empty piece).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
import timeit
import warnings
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from benchmarks import client_noop, servers, targets
from benchmarks._paths import REPO, child_env
from benchmarks.method_setups import bench_settings
from benchmarks.targets import UVICORN_FLAGS
from dbskit.client import AsyncMarketClient, MarketClient, _core
from dbskit.client import _calls as calls
from dbskit.client import _shapes as shapes
from dbskit.client._calls import Call

PAGE_ORDERS: Final = 50  # a full page of getBusinessOrders (and of getOrders by token)
SETUP_THREADS: Final = 8
TRACK_SERVICE_ID: Final = 51  # a carrier of the delivery services directory
TRACK_CODE: Final = "TRK0001"
# An order of two lines, as the getOrder workload's.
_ORDER_BODY: Final = {
    "items": [
        {"offerId": "sku-1", "count": 2, "price": 990},
        {"offerId": "cable", "count": 1, "price": 150, "marking": "CIS"},
    ],
    "delivery": {"type": "DELIVERY"},
}
TRACK_OPERATION: Final = "set the track"
ORDER_OPERATION: Final = "getOrder"
# The operations the 40 µs target names (issue #20); the pages are reported beside them.
TARGET_OPERATIONS: Final = (TRACK_OPERATION, ORDER_OPERATION)
LOOPBACK: Final = "over loopback"
WARM: Final = "warm, in process"
# The in-process answers' base URL: MockTransport answers it, nothing resolves or listens.
IN_PROCESS_URL: Final = "http://client-bench.invalid"
_JSON_HEADERS: Final = [("content-type", "application/json")]
_NS_PER_US: Final = 1000
EMPTY_PIECE: Final = "nothing"  # timed cold beside the pieces: the clock's own cost

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
    calls: int  # turns of each side a round


@dataclass(frozen=True)
class Plan:
    rounds: int
    warmup: int  # unmeasured calls of each side before the rounds
    piece_calls: int  # turns of each piece timed cold


@dataclass(frozen=True)
class Round:
    """One round of an operation: each side's median µs of thread CPU per call."""

    bare_us: float
    typed_us: float
    client_us: float


@dataclass(frozen=True)
class Figure:
    """An operation's figures in one setting and flavour: medians over its rounds."""

    operation: str
    flavour: str  # "sync" or "async"
    setting: str  # LOOPBACK or WARM
    rounds: tuple[Round, ...]

    @property
    def bare_us(self) -> float:
        return statistics.median(r.bare_us for r in self.rounds)

    @property
    def client_us(self) -> float:
        return statistics.median(r.client_us for r in self.rounds)

    @property
    def own_us(self) -> float:
        """The client's own work: client − bare."""
        return statistics.median(self.rounds_own_us)

    @property
    def floor_us(self) -> float:
        """The typed floor over bare httpx: typed floor − bare."""
        return statistics.median(r.typed_us - r.bare_us for r in self.rounds)

    @property
    def beyond_floor_us(self) -> float:
        """What the client adds to the least a typed client does: client − typed floor."""
        return statistics.median(r.client_us - r.typed_us for r in self.rounds)

    @property
    def rounds_own_us(self) -> tuple[float, ...]:
        return tuple(r.client_us - r.bare_us for r in self.rounds)


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


# --- where the answers come from ---------------------------------------------------------------


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


@dataclass(frozen=True)
class Setting:
    """Where the calls go: sockets to a server (no transports) or MockTransports in process."""

    name: str
    base_url: str
    transport: httpx.BaseTransport | None = None
    async_transport: httpx.AsyncBaseTransport | None = None


def over_loopback(base_url: str) -> Setting:
    return Setting(LOOPBACK, base_url)


def in_process(bodies: dict[str, str]) -> Setting:
    """MockTransports answering as the no-op server does: the body ``answer_name`` picks."""
    encoded = {name: body.encode() for name, body in bodies.items()}

    def answer(request: httpx.Request) -> httpx.Response:
        name = client_noop.answer_name(request.method, request.url.path)
        return httpx.Response(200, content=encoded[name], headers=_JSON_HEADERS)

    async def answer_async(request: httpx.Request) -> httpx.Response:
        return answer(request)

    return Setting(
        WARM, IN_PROCESS_URL, httpx.MockTransport(answer), httpx.MockTransport(answer_async)
    )


# --- the operations ----------------------------------------------------------------------------


def operations(captured: Captured, *, calls_per_round: int, page_calls: int) -> list[Operation]:
    """Set-the-track, getOrder, and a page of getOrders and of getBusinessOrders."""
    campaign, order, business = captured.campaign_id, captured.order_id, captured.business_id
    page = len(json.loads(captured.bodies[client_noop.ORDERS_PAGE])["orders"])
    request = shapes.business_orders_request(None, {"fake": True})
    return [
        Operation(
            TRACK_OPERATION,
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
            ORDER_OPERATION,
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


@contextmanager
def deprecations_ignored() -> Iterator[None]:
    """getOrder and getOrders warn that the Market retires them; a seller's code sees the warning
    once (Python's default filters), not on every call."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


# --- taking turns, call by call ----------------------------------------------------------------


def _medians_us(samples: list[list[int]]) -> list[float]:
    return [statistics.median(side) / _NS_PER_US for side in samples]


def _turn_order(count: int, turns: int) -> Iterator[int]:
    """Which side calls next: each in turn, in an order that rotates, so that none always follows
    the same one."""
    for turn in range(turns):
        for step in range(count):
            yield (turn + step) % count


def _sync_turns(sides: Sequence[Callable[[], object]], turns: int) -> list[float]:
    """Each side's median µs of thread CPU per call; the sides take turns call by call."""
    clock = time.thread_time_ns
    samples: list[list[int]] = [[] for _ in sides]
    for side in _turn_order(len(sides), turns):
        started = clock()
        sides[side]()
        samples[side].append(clock() - started)
    return _medians_us(samples)


async def _async_turns(sides: Sequence[Callable[[], Awaitable[object]]], turns: int) -> list[float]:
    """As ``_sync_turns``, one call at a time on the loop: the loop's work between the start and
    the end of a call (the selector, the transport's callbacks) is that call's."""
    clock = time.thread_time_ns
    samples: list[list[int]] = [[] for _ in sides]
    for side in _turn_order(len(sides), turns):
        started = clock()
        await sides[side]()
        samples[side].append(clock() - started)
    return _medians_us(samples)


def _round(medians: list[float]) -> Round:
    bare, typed, client = medians
    return Round(bare, typed, client)


def _bare_request(op: Operation, api_key: str) -> dict[str, Any]:
    """The bare side's request, as httpx's ``request`` takes it: the call's own, nothing typed."""
    call = op.call
    return {
        "method": call.method,
        "url": call.path,
        "params": call.query or None,
        "content": call.content,
        "headers": _bare_headers(api_key, call),
    }


def _sync_sides(
    http: httpx.Client, market: MarketClient, op: Operation, api_key: str
) -> list[Callable[[], object]]:
    """Bare, typed floor, client."""
    request, answer = _bare_request(op, api_key), op.call.answer

    def bare() -> bytes:
        return http.request(**request).content

    return [bare, lambda: answer.model_validate_json(bare()), lambda: op.sync(market)]


def _async_sides(
    http: httpx.AsyncClient, market: AsyncMarketClient, op: Operation, api_key: str
) -> list[Callable[[], Awaitable[object]]]:
    request, answer = _bare_request(op, api_key), op.call.answer

    async def bare() -> bytes:
        return (await http.request(**request)).content

    async def typed() -> object:
        return answer.model_validate_json(await bare())

    async def client() -> object:
        return await op.run_async(market)

    return [bare, typed, client]


def _figures(
    setting: Setting, flavour: str, ops: list[Operation], rounds: list[list[Round]]
) -> list[Figure]:
    return [
        Figure(op.name, flavour, setting.name, tuple(r[index] for r in rounds))
        for index, op in enumerate(ops)
    ]


def measure_sync(setting: Setting, api_key: str, ops: list[Operation], plan: Plan) -> list[Figure]:
    """``httpx.Client`` and ``MarketClient``; each round goes through every operation, so that an
    operation's rounds see different moments of the run."""
    url, transport = setting.base_url, setting.transport
    with (
        httpx.Client(base_url=url, timeout=30, transport=transport) as http,
        MarketClient(api_key=api_key, base_url=url, transport=transport) as market,
        deprecations_ignored(),
    ):
        sides = [_sync_sides(http, market, op, api_key) for op in ops]
        for op_sides in sides:
            _sync_turns(op_sides, plan.warmup)
        rounds = [
            [
                _round(_sync_turns(op_sides, op.calls))
                for op, op_sides in zip(ops, sides, strict=True)
            ]
            for _ in range(plan.rounds)
        ]
    return _figures(setting, "sync", ops, rounds)


def measure_async(setting: Setting, api_key: str, ops: list[Operation], plan: Plan) -> list[Figure]:
    """``httpx.AsyncClient`` and ``AsyncMarketClient`` on one asyncio loop, one call at a time."""
    url, transport = setting.base_url, setting.async_transport

    async def measure() -> list[list[Round]]:
        async with (
            httpx.AsyncClient(base_url=url, timeout=30, transport=transport) as http,
            AsyncMarketClient(api_key=api_key, base_url=url, transport=transport) as market,
        ):
            sides = [_async_sides(http, market, op, api_key) for op in ops]
            for op_sides in sides:
                await _async_turns(op_sides, plan.warmup)
            rounds = []
            for _ in range(plan.rounds):
                rounds.append(
                    [
                        _round(await _async_turns(op_sides, op.calls))
                        for op, op_sides in zip(ops, sides, strict=True)
                    ]
                )
            return rounds

    with deprecations_ignored():
        return _figures(setting, "async", ops, asyncio.run(measure()))


# --- the pieces of the client's own work -------------------------------------------------------


@contextmanager
def _pieces(captured: Captured) -> Iterator[dict[str, Callable[[], object]]]:
    """The pieces of a getOrder call's own work, and the track's request, as the client runs
    them. The cap is the client's own ticket queue (a ``MarketClient``'s ``_slots``)."""
    response = httpx.Response(200, content=captured.bodies[client_noop.ORDER].encode())
    campaign, order = captured.campaign_id, captured.order_id
    call = calls.get_order(campaign, order)
    with MarketClient(api_key=captured.api_key, base_url=IN_PROCESS_URL) as market:
        slots = market._slots

        def through_the_cap() -> None:
            slots.get()
            slots.put(None)

        def warn() -> None:
            warnings.warn("getOrder is retiring", DeprecationWarning, stacklevel=2)

        yield {
            "the answer read into GetOrderResponse": lambda: _core.read_answer(call, response),
            "the track's request (shapes.track)": lambda: shapes.track(
                campaign, order, None, TRACK_CODE, TRACK_SERVICE_ID
            ),
            "the call (path from the operation table)": lambda: calls.get_order(campaign, order),
            "the token's cap (a ticket queue)": through_the_cap,
            "the deprecation warning (ignored)": warn,
            "the request id": _core.next_request_id,
        }


def getorder_work_alone(captured: Captured, *, number: int = 2000) -> dict[str, float]:
    """µs of each piece timed alone in process, warm (``timeit``, best of five): what the client's
    own cost holds once HTTP is taken away."""
    with _pieces(captured) as pieces, deprecations_ignored():
        return {
            name: min(timeit.repeat(piece, number=number, repeat=5)) / number * 1e6
            for name, piece in pieces.items()
        }


def _nothing() -> None:
    return None


def pieces_after_a_read(base_url: str, captured: Captured, plan: Plan) -> dict[str, float]:
    """µs of each piece timed cold: right after a bare getOrder over loopback, as the client's
    work runs after its socket read. Median of ``plan.piece_calls``, less an empty piece's
    median (the clock's own cost)."""
    call = calls.get_order(captured.campaign_id, captured.order_id)
    headers = _bare_headers(captured.api_key, call)
    clock = time.thread_time_ns
    with (
        httpx.Client(base_url=base_url, timeout=30) as http,
        _pieces(captured) as pieces,
        deprecations_ignored(),
    ):
        timed = {EMPTY_PIECE: _nothing, **pieces}
        samples: dict[str, list[int]] = {name: [] for name in timed}

        def read() -> None:
            http.request(call.method, call.path, headers=headers).read()

        for _ in range(plan.warmup):
            read()
        for _ in range(plan.piece_calls):
            for name, piece in timed.items():
                read()
                started = clock()
                piece()
                samples[name].append(clock() - started)
    empty = statistics.median(samples[EMPTY_PIECE])
    return {name: (statistics.median(samples[name]) - empty) / _NS_PER_US for name in pieces}


# --- the whole part ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    figures: list[Figure]  # over loopback, then warm in process; sync then async
    warm_pieces: dict[str, float]
    cold_pieces: dict[str, float]


def run(plan: Plan, *, calls_per_round: int, page_calls: int, page_orders: int) -> Results:
    """Capture the answers; measure over loopback against the no-op server and warm in process,
    sync then async; then the pieces, cold and warm."""
    captured = capture(page_orders)
    ops = operations(captured, calls_per_round=calls_per_round, page_calls=page_calls)
    with noop_server(captured.bodies) as server:
        loopback = over_loopback(server.base_url)
        figures = measure_sync(loopback, captured.api_key, ops, plan)
        figures += measure_async(loopback, captured.api_key, ops, plan)
        cold = pieces_after_a_read(server.base_url, captured, plan)
    warm = in_process(captured.bodies)
    figures += measure_sync(warm, captured.api_key, ops, plan)
    figures += measure_async(warm, captured.api_key, ops, plan)
    return Results(figures, getorder_work_alone(captured), cold)
