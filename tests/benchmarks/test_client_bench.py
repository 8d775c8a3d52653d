"""``python -m benchmarks.client``: the no-op server answers the emulator's captured answers, the
CPU measurement gives a figure for every operation and flavour, and the parallel part's client
gets every call through a parallel limit of 2 (no timing is asserted)."""

from __future__ import annotations

import asyncio
import json
import math
import warnings

import httpx
import pytest
from benchmarks.client_cpu import (
    Plan,
    capture,
    getorder_work_alone,
    measure_async,
    measure_sync,
    noop_server,
    operations,
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


def test_the_no_op_server_answers_the_captured_bodies_and_every_figure_is_measured() -> None:
    captured = capture(page_orders=2)
    assert [len(json.loads(captured.bodies[name])["orders"]) for name in client_noop.NAMES[2:]] == [
        2,
        2,
    ]
    ops = operations(captured, calls_per_round=4, page_calls=2)
    plan = Plan(rounds=2, pairs=2, warmup=1)
    with noop_server(captured.bodies) as server:
        order_path = f"/v2/campaigns/{captured.campaign_id}/orders/{captured.order_id}"
        answer = httpx.get(server.base_url + order_path)
        assert (answer.status_code, answer.text) == (200, captured.bodies[client_noop.ORDER])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            figures = measure_sync(server.base_url, captured.api_key, ops, plan)
            figures += measure_async(server.base_url, captured.api_key, ops, plan)
    assert [(f.operation, f.flavour) for f in figures] == [
        (op.name, flavour) for flavour in ("sync", "async") for op in ops
    ]
    for figure in figures:
        assert len(figure.rounds_own_us) == plan.rounds
        assert figure.bare_us > 0 and figure.client_us > 0
        assert all(math.isfinite(own) for own in figure.rounds_own_us)
        assert math.isfinite(figure.quiet_own_us)
    pieces = getorder_work_alone(captured, number=10)
    assert len(pieces) == 5 and all(us > 0 for us in pieces.values())


def test_many_tasks_of_one_client_get_every_call_through_a_parallel_limit_of_two() -> None:
    with client_parallel.served(client_parallel.LIMITED) as (server, token):
        seller = client_parallel.seller(server, token, orders=12)
        outcome = asyncio.run(client_parallel.deliver_all(seller, tasks=6))
    assert (outcome.succeeded, outcome.limited_420s, outcome.other_errors) == (12, 0, 0)
    assert outcome.seconds > 0
