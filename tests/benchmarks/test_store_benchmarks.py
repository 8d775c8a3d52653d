"""The store benchmarks' own arithmetic: percentiles, where an order's time went, and the bodies
wrk sends (no timing is asserted)."""

from __future__ import annotations

import json

import pytest
from benchmarks.calls import SEQUENCE_DIGITS, SEQUENCE_MARKER
from benchmarks.store_loop import _keys_delay, _stages
from benchmarks.store_notifications import _notification, _workloads
from benchmarks.store_seller import percentile, summary_ms


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        pytest.param([], 0.5, None, id="empty"),
        pytest.param([7.0], 0.99, 7.0, id="one"),
        pytest.param([3.0, 1.0, 2.0], 0.5, 2.0, id="median-of-three"),
        pytest.param([float(n) for n in range(1, 101)], 0.99, 99.0, id="p99-of-100"),
        pytest.param([float(n) for n in range(1, 101)], 0.5, 50.0, id="p50-of-100"),
        pytest.param([float(n) for n in range(1, 11)], 1.0, 10.0, id="max"),
    ],
)
def test_percentile_is_the_nearest_rank(
    values: list[float], share: float, expected: float | None
) -> None:
    assert percentile(values, share) == expected


def test_summary_is_in_milliseconds() -> None:
    assert summary_ms([0.001, 0.002, 0.004]) == {
        "count": 3,
        "p50_ms": 2.0,
        "p99_ms": 4.0,
        "max_ms": 4.0,
    }


def _view() -> dict[str, object]:
    return {
        "lateness": {"processingSince": "2026-12-07T12:00:00Z"},
        "digitalKeys": {"firstReceivedAt": "2026-12-07T12:00:00.250000Z", "items": []},
        "outbox": [
            {"kind": "email", "payload": {}, "attempts": []},
            {
                "kind": "notification",
                "createdAt": "2026-12-07T12:00:00Z",
                "payload": {"notificationType": "ORDER_CREATED"},
                "attempts": [{"attemptedAt": "2026-12-07T12:00:00.100000Z", "durationMs": 20}],
            },
        ],
    }


def test_an_orders_time_to_its_keys_is_split_into_its_stages() -> None:
    view = _view()
    assert _keys_delay(view) == pytest.approx(0.25)
    stages = _stages(view)
    assert stages is not None
    assert stages == pytest.approx(
        {"notification_queued": 0.1, "notification_answer": 0.02, "store_job": 0.13}
    )


def test_an_order_without_keys_has_no_stages() -> None:
    view = _view()
    view["digitalKeys"] = None
    assert _keys_delay(view) is None
    assert _stages(view) is None


@pytest.mark.parametrize("sequence", [0, 1, 10**SEQUENCE_DIGITS - 1])
def test_every_new_order_body_is_json_with_an_int64_order_id(sequence: int) -> None:
    """bench.lua writes the sequence zero-padded: the body must stay JSON all the same."""
    call = _notification(_workloads(21000001)["order_created_new"], sequence=True)
    assert SEQUENCE_MARKER in call.body
    body = json.loads(call.body.replace(SEQUENCE_MARKER, f"{sequence:0{SEQUENCE_DIGITS}d}"))
    assert body["notificationType"] == "ORDER_CREATED"
    assert isinstance(body["orderId"], int)
    assert 0 < body["orderId"] < 2**63


def test_the_other_bodies_are_plain_json() -> None:
    for name, payload in _workloads(21000001).items():
        if name == "order_created_new":
            continue
        call = _notification(payload)
        assert json.loads(call.body) == payload
        assert (call.method, call.path, call.headers) == (
            "POST",
            "/notification",
            {"Content-Type": "application/json"},
        )
