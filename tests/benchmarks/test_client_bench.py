"""``python -m benchmarks.client``: the no-op server and the in-process transport answer the
emulator's captured answers, the CPU measurement gives every figure for every operation, flavour
and setting and times every piece cold and warm, and the parallel part's client gets every call
through a parallel limit of 2 (no timing is asserted)."""

from __future__ import annotations

import asyncio
import json
import math
import statistics

import httpx
import pytest
from benchmarks.client_cpu import (
    IN_PROCESS_URL,
    LOOPBACK,
    WARM,
    Figure,
    Operation,
    Plan,
    capture,
    getorder_work_alone,
    in_process,
    measure_async,
    measure_sync,
    noop_server,
    operations,
    over_loopback,
    pieces_after_a_read,
)

from benchmarks import client_noop, client_parallel


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("POST", "/v2/campaigns/21/orders/7/delivery/track", client_noop.TRACK),
        ("POST", "/v2/campaigns/21/orders/7/deliverDigitalGoods", client_noop.TRACK),
        ("GET", "/v2/campaigns/21/orders/7", client_noop.ORDER),
        ("GET", "/v2/campaigns/21/orders", client_noop.ORDERS_PAGE),
        ("POST", "/v1/businesses/10/orders", client_noop.BUSINESS_PAGE),
    ],
)
def test_the_no_op_server_picks_the_answer_by_method_and_path(
    method: str, path: str, name: str
) -> None:
    assert client_noop.answer_name(method, path) == name


def _assert_measured(
    figures: list[Figure], ops: list[Operation], setting: str, rounds: int
) -> None:
    """A figure for every operation and flavour, each from every round, each side timed."""
    assert [(f.setting, f.operation, f.flavour) for f in figures] == [
        (setting, op.name, flavour) for flavour in ("sync", "async") for op in ops
    ]
    for figure in figures:
        assert len(figure.rounds) == rounds
        for side in figure.rounds:
            assert side.bare_us > 0 and side.typed_us > 0 and side.client_us > 0
        derived = (figure.own_us, figure.floor_us, figure.beyond_floor_us, figure.bare_us)
        assert all(math.isfinite(us) for us in derived)
        assert math.isclose(figure.own_us, statistics.median(figure.rounds_own_us))


def test_the_no_op_server_answers_the_captured_bodies_and_every_figure_is_measured() -> None:
    captured = capture(page_orders=2)
    assert [len(json.loads(captured.bodies[name])["orders"]) for name in client_noop.NAMES[2:]] == [
        2,
        2,
    ]
    ops = operations(captured, calls_per_round=3, page_calls=2)
    plan = Plan(rounds=2, warmup=1, piece_calls=3)
    with noop_server(captured.bodies) as server:
        order_path = f"/v2/campaigns/{captured.campaign_id}/orders/{captured.order_id}"
        answer = httpx.get(server.base_url + order_path)
        assert (answer.status_code, answer.text) == (200, captured.bodies[client_noop.ORDER])
        loopback = over_loopback(server.base_url)
        over_sockets = measure_sync(loopback, captured.api_key, ops, plan)
        over_sockets += measure_async(loopback, captured.api_key, ops, plan)
        cold = pieces_after_a_read(server.base_url, captured, plan)
    _assert_measured(over_sockets, ops, LOOPBACK, plan.rounds)
    warm = in_process(captured.bodies)
    in_memory = measure_sync(warm, captured.api_key, ops, plan)
    in_memory += measure_async(warm, captured.api_key, ops, plan)
    _assert_measured(in_memory, ops, WARM, plan.rounds)
    alone = getorder_work_alone(captured, number=10)
    assert len(alone) == 6 and all(us > 0 for us in alone.values())
    assert list(cold) == list(alone) and all(math.isfinite(us) for us in cold.values())


def test_the_in_process_answers_are_the_no_op_servers() -> None:
    bodies = {name: f'{{"answer": "{name}"}}' for name in client_noop.NAMES}
    transport = in_process(bodies).transport
    with httpx.Client(base_url=IN_PROCESS_URL, transport=transport) as http:
        for method, path in [
            ("POST", "/v2/campaigns/21/orders/7/delivery/track"),
            ("GET", "/v2/campaigns/21/orders/7"),
            ("GET", "/v2/campaigns/21/orders"),
            ("POST", "/v1/businesses/10/orders"),
        ]:
            answer = http.request(method, path)
            name = client_noop.answer_name(method, path)
            assert (answer.status_code, answer.text) == (200, bodies[name])
            assert answer.headers["content-type"] == "application/json"


def test_many_tasks_of_one_client_get_every_call_through_a_parallel_limit_of_two() -> None:
    with client_parallel.served(client_parallel.LIMITED) as (server, token):
        seller = client_parallel.seller(server, token, orders=12)
        outcome = asyncio.run(client_parallel.deliver_all(seller, tasks=6))
    assert (outcome.succeeded, outcome.limited_420s, outcome.other_errors) == (12, 0, 0)
    assert outcome.seconds > 0
