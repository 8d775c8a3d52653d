"""The client's retry decisions, from tables: what is repeated, after how long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dbskit.client import REPEATABLE, Action, Reason, RetryPolicy
from dbskit.client._retry import (
    backoff,
    decide,
    hourly_wait,
    is_parallel_limit,
    repeat_found_it_done,
)
from dbskit.contract.operations import OPERATIONS_BY_ID

POLICY = RetryPolicy(max_retries=3, max_wait_seconds=60)
AT = datetime(2027, 3, 1, 10, 59, 57, tzinfo=UTC)


def test_every_operation_but_accept_cancellation_is_repeatable() -> None:
    assert set(OPERATIONS_BY_ID) - REPEATABLE == {"acceptOrderCancellation"}


@pytest.mark.parametrize(
    ("operation_id", "reason", "expected"),
    [
        pytest.param("getOrder", Reason.SERVER_ERROR, Action.RETRY, id="read-5xx"),
        pytest.param("getOrder", Reason.DROPPED, Action.RETRY, id="read-dropped"),
        pytest.param("updateOrderStatus", Reason.SERVER_ERROR, Action.RETRY, id="status-OQ-23"),
        pytest.param("provideOrderDigitalCodes", Reason.DROPPED, Action.RETRY, id="keys-OQ-01"),
        pytest.param("acceptOrderCancellation", Reason.SERVER_ERROR, Action.RAISE, id="cancel-5xx"),
        pytest.param("acceptOrderCancellation", Reason.DROPPED, Action.RAISE, id="cancel-dropped"),
        pytest.param("acceptOrderCancellation", Reason.CONNECT, Action.RETRY, id="cancel-unsent"),
        pytest.param(
            "acceptOrderCancellation", Reason.PARALLEL_LIMIT, Action.RETRY, id="cancel-420"
        ),
    ],
)
def test_what_is_retried(operation_id: str, reason: Reason, expected: Action) -> None:
    action, _ = decide(
        operation_id=operation_id, reason=reason, attempt=1, policy=POLICY, jitter=0.5
    )
    assert action is expected


def test_retries_stop_after_max_retries() -> None:
    action, delay = decide(
        operation_id="getOrder", reason=Reason.SERVER_ERROR, attempt=4, policy=POLICY, jitter=0
    )
    assert (action, delay) == (Action.RAISE, 0.0)


@pytest.mark.parametrize(
    ("wait", "expected"),
    [
        pytest.param(3.0, (Action.RETRY, 3.0), id="within-max-wait"),
        pytest.param(60.0, (Action.RETRY, 60.0), id="at-max-wait"),
        pytest.param(60.5, (Action.RAISE, 0.0), id="over-max-wait"),
        pytest.param(None, (Action.RAISE, 0.0), id="no-until-or-date"),
    ],
)
def test_hourly_limit_waits_only_up_to_max_wait(
    wait: float | None, expected: tuple[Action, float]
) -> None:
    decision = decide(
        operation_id="getOrder",
        reason=Reason.HOURLY_LIMIT,
        attempt=1,
        policy=POLICY,
        jitter=0.9,
        hourly_wait_seconds=wait,
    )
    assert decision == expected


def test_hourly_wait_is_until_minus_the_answer_date() -> None:
    until = datetime(2027, 3, 1, 11, tzinfo=UTC)
    assert hourly_wait(until, AT) == 3.0
    assert hourly_wait(until, AT + timedelta(minutes=5)) == 0.0  # never negative
    assert hourly_wait(None, AT) is None
    assert hourly_wait(until, None) is None


@pytest.mark.parametrize(
    ("attempt", "jitter", "expected"),
    [
        pytest.param(1, 0.0, 0.25, id="first-least"),
        pytest.param(1, 1.0, 0.5, id="first-most"),
        pytest.param(2, 0.0, 0.5, id="doubles"),
        pytest.param(10, 1.0, 8.0, id="capped"),
    ],
)
def test_backoff_is_exponential_with_jitter(attempt: int, jitter: float, expected: float) -> None:
    assert backoff(attempt, jitter, initial=0.5, cap=8.0) == expected


@pytest.mark.parametrize(
    ("message", "parallel"),
    [
        pytest.param("Hit rate limit of 2 parallel requests", True, id="parallel"),
        pytest.param(
            "Hit rate limit of 10000 requests per 1 hour for resource /delivery/services",
            False,
            id="hourly",
        ),
        pytest.param(
            "Hit rate limit of 10 000 points per 1 day for resource /regions/{regionId}.json",
            False,
            id="docs-example",
        ),
    ],
)
def test_parallel_420_is_told_by_its_message(message: str, parallel: bool) -> None:
    assert is_parallel_limit((message,)) is parallel


@pytest.mark.parametrize(
    ("operation_id", "uncertain", "code", "message", "done"),
    [
        pytest.param(
            "provideOrderDigitalCodes",
            True,
            "ORDER_IN_TERMINAL_STATE",
            "Order is in terminal state: order 1 is DELIVERED",
            True,
            id="repeat-delivered",
        ),
        pytest.param(
            "provideOrderDigitalCodes",
            False,
            "ORDER_IN_TERMINAL_STATE",
            "Order is in terminal state: order 1 is DELIVERED",
            False,
            id="first-attempt",
        ),
        pytest.param(
            "provideOrderDigitalCodes",
            True,
            "ORDER_IN_TERMINAL_STATE",
            "Order is in terminal state: order 1 is CANCELLED",
            False,
            id="repeat-cancelled",
        ),
        pytest.param(
            "updateOrderStatus",
            True,
            "ORDER_IN_TERMINAL_STATE",
            "Order is in terminal state: order 1 is DELIVERED",
            False,
            id="other-operation",
        ),
    ],
)
def test_repeated_keys_on_a_delivered_order_are_done(
    operation_id: str, uncertain: bool, code: str, message: str, done: bool
) -> None:
    found = repeat_found_it_done(
        operation_id, uncertain_before=uncertain, codes=(code,), messages=(message,)
    )
    assert found is done
