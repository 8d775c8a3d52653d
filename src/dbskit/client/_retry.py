"""Which failures are retried, after how long: pure decisions, tested from tables.

The Partner API's docs say nothing of repeating a call; the table of calls safe to repeat comes
from our own decisions (docs/decisions.md, "Which calls the client repeats"):

- reads (getOrder, getOrders, getBusinessOrders, identifiers/status, delivery services) change
  nothing;
- deliverDigitalGoods: an identical repeat is 200 while the order waits for its keys (OQ-01), and
  400 ``ORDER_IN_TERMINAL_STATE`` once the keys made it DELIVERED, which a repeat reads as done;
- delivery/track: the same track and service again records nothing (OQ-06);
- PUT identifiers: replaces the codes of the items it lists (OQ-08);
- PUT status: the status the order already has is 200, unchanged (OQ-23);
- acceptOrderCancellation is **not** safe: after an accepted answer the order is CANCELLED and
  the repeat is 400, after a rejection there is no request left to answer (OQ-28).

A call that never reached the Market (connection refused, connect timeout) and a 420 (refused
before anything ran, spending nothing) are retried whatever the operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from dbskit.client import _constants as c

REPEATABLE: Final = frozenset(
    {
        "provideOrderDigitalCodes",  # OQ-01
        "setOrderDeliveryTrackCode",  # OQ-06
        "provideOrderItemIdentifiers",  # OQ-08
        "getOrderIdentifiersStatus",
        "getOrder",
        "getOrders",
        "updateOrderStatus",  # OQ-23
        "getDeliveryServices",
        "getBusinessOrders",
    }
)


class Reason(StrEnum):
    """Why an attempt failed, as the retry events name it."""

    CONNECT = "connect"  # the request never left: refused, connect timeout
    DROPPED = "dropped"  # sent, no answer: reset, closed, read timeout
    SERVER_ERROR = "server_error"  # 5xx
    PARALLEL_LIMIT = "parallel_limit"  # 420, too many calls of the token in flight
    HOURLY_LIMIT = "hourly_limit"  # 420, the budget of the window is spent


class Action(StrEnum):
    RETRY = "retry"
    RAISE = "raise"
    DONE = "done"  # a repeat whose refusal says the first attempt did the work (OQ-01)


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """One decision after a failed attempt, given to ``on_retry`` and logged."""

    operation_id: str
    attempt: int  # 1 for the first attempt
    reason: Reason | None
    action: Action
    delay_seconds: float  # how long the client sleeps before the next attempt (0 unless retry)
    status_code: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard a client tries: retries after the first attempt, the longest hourly 420 it waits
    out, and the backoff steps of 5xx, dropped connections and parallel 420s."""

    max_retries: int = c.DEFAULT_MAX_RETRIES
    max_wait_seconds: float = c.DEFAULT_MAX_WAIT_SECONDS
    backoff_initial_seconds: float = c.BACKOFF_INITIAL_SECONDS
    backoff_max_seconds: float = c.BACKOFF_MAX_SECONDS
    parallel_backoff_initial_seconds: float = c.PARALLEL_BACKOFF_INITIAL_SECONDS
    parallel_backoff_max_seconds: float = c.PARALLEL_BACKOFF_MAX_SECONDS


def backoff(attempt: int, jitter: float, *, initial: float, cap: float) -> float:
    """Exponential backoff with jitter: ``initial * 2**(attempt-1)`` capped, times 0.5..1.

    ``jitter`` is a number in [0, 1): half the step is fixed, so retries never come at once,
    and half is spread, so clients that failed together do not retry together."""
    step: float = min(cap, initial * 2.0 ** (attempt - 1))
    return step * (0.5 + 0.5 * jitter)


def hourly_wait(until: datetime | None, date: datetime | None) -> float | None:
    """Seconds until the budget's window ends, by the Market's own clock (``Until`` minus the
    answer's ``Date``, never the local clock), or None when the answer lacks either."""
    if until is None or date is None:
        return None
    return max((until - date).total_seconds(), 0.0)


def is_parallel_limit(messages: tuple[str, ...]) -> bool:
    """docs:error-codes.md: the global limit's 420 reads "Hit rate limit of N parallel requests";
    the resource limit's names a period and a resource (R-085, R-086)."""
    return any(c.PARALLEL_LIMIT_MARKER in message for message in messages)


def decide(
    *,
    operation_id: str,
    reason: Reason,
    attempt: int,
    policy: RetryPolicy,
    jitter: float,
    hourly_wait_seconds: float | None = None,
) -> tuple[Action, float]:
    """Retry after the returned delay, or raise."""
    if attempt > policy.max_retries:
        return Action.RAISE, 0.0
    if reason is Reason.HOURLY_LIMIT:
        if hourly_wait_seconds is None or hourly_wait_seconds > policy.max_wait_seconds:
            return Action.RAISE, 0.0
        return Action.RETRY, hourly_wait_seconds
    if reason is Reason.PARALLEL_LIMIT:
        delay = backoff(
            attempt,
            jitter,
            initial=policy.parallel_backoff_initial_seconds,
            cap=policy.parallel_backoff_max_seconds,
        )
        return Action.RETRY, delay
    if reason is not Reason.CONNECT and operation_id not in REPEATABLE:
        return Action.RAISE, 0.0
    delay = backoff(
        attempt, jitter, initial=policy.backoff_initial_seconds, cap=policy.backoff_max_seconds
    )
    return Action.RETRY, delay


def repeat_found_it_done(
    operation_id: str, *, uncertain_before: bool, codes: tuple[str, ...], messages: tuple[str, ...]
) -> bool:
    """OQ-01: a deliverDigitalGoods repeated after an attempt whose outcome is unknown, refused
    because the order is DELIVERED, means the first attempt delivered the keys."""
    return (
        operation_id == "provideOrderDigitalCodes"
        and uncertain_before
        and c.ORDER_IN_TERMINAL_STATE in codes
        and any(c.DELIVERED in message for message in messages)
    )
