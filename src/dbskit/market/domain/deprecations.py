"""Deprecated methods: getOrder and getOrders, which the 2026 spec retires in favour of
getBusinessOrders (``x-deprecation-config``; docs/decisions.md, "Deprecated methods (OQ-29)").

With the switch on, the dates are days on the sandbox clock in the Market's time zone. Before the
degradation date a call is answered; from it until the shutdown date every ``fail_every``-th call
of a token fails; from the shutdown date every call fails. Either failure is 410 ``GONE``, never
a limit's 420: repeating the call does not bring the method back.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from dbskit.contract import limits
from dbskit.contract.deprecations import DeprecationMark
from dbskit.contract.errors import Gone, Messages
from dbskit.contract.operations import (
    OPERATIONS,
    OPERATIONS_BY_ID,
    V1_PREFIX,
    Deprecation,
    Operation,
    Profile,
)

# The switch's default: the seeds know no deprecation; the 2026 spec carries the dates.
DEPRECATIONS_BY_PROFILE: Final = {Profile.SEED: False, Profile.SPEC_2026: True}

# The deprecated methods whose path names one order (getOrder): the sandbox order view lists
# their calls. getOrders names none.
ORDER_METHODS: Final = tuple(
    op for op in OPERATIONS if op.deprecation is not None and "{orderId}" in op.path
)


class Stage(StrEnum):
    """Where a deprecated method stands on a given day."""

    ANSWERED = "answered"  # before the degradation date
    DEGRADED = "degraded"  # from the degradation date: some calls fail
    SHUT_DOWN = "shut down"  # from the shutdown date: every call fails


def deprecations_apply(profile: Profile, switch: bool | None) -> bool:
    """``--deprecations`` as given, else the profile's default."""
    return DEPRECATIONS_BY_PROFILE[profile] if switch is None else switch


def stage_on(deprecation: Deprecation, now: datetime) -> Stage:
    """The stage on the day ``now`` falls on in the Market's time zone: the spec's dates are
    days, and the Market keeps Moscow time."""
    today = now.astimezone(limits.MARKET_TIMEZONE).date()
    if today >= deprecation.shutdown:
        return Stage.SHUT_DOWN
    if today >= deprecation.degradation_start:
        return Stage.DEGRADED
    return Stage.ANSWERED


def refusal(
    operation_id: str,
    deprecation: Deprecation,
    *,
    stage: Stage,
    call_number: int,
    fail_every: int,
) -> Gone | None:
    """The error a call gets, or None when it is answered. ``call_number`` is the call's place,
    from 1, among its token's calls to deprecated methods since the degradation date; the
    ``fail_every``-th, the ``2 * fail_every``-th, ... fail."""
    values = {
        "operation_id": operation_id,
        "replacement": deprecation.replacement,
        "degradation_start": deprecation.degradation_start.isoformat(),
        "shutdown": deprecation.shutdown.isoformat(),
    }
    if stage is Stage.SHUT_DOWN:
        return Gone(Messages.METHOD_SHUT_DOWN.format(**values))
    if stage is Stage.DEGRADED and call_number % fail_every == 0:
        return Gone(Messages.METHOD_DEGRADED.format(**values))
    return None


class DeprecationGate:
    """The calls of each token to deprecated methods since their degradation date, counted in
    memory by this instance. Counting and deciding run with no ``await`` between them, so calls
    that run concurrently on the event loop each take a number of their own."""

    def __init__(self, *, fail_every: int) -> None:
        if fail_every < 1:
            raise ValueError("fail_every must be at least 1")
        self._fail_every = fail_every
        self._degraded_calls: dict[int, int] = {}

    def check(self, operation: Operation, *, token_id: int, now: datetime) -> None:
        """Raise ``Gone`` for a call the method no longer answers."""
        deprecation = operation.deprecation
        if deprecation is None:
            return
        stage = stage_on(deprecation, now)
        call_number = 0
        if stage is Stage.DEGRADED:
            call_number = self._degraded_calls.get(token_id, 0) + 1
            self._degraded_calls[token_id] = call_number
        error = refusal(
            operation.operation_id,
            deprecation,
            stage=stage,
            call_number=call_number,
            fail_every=self._fail_every,
        )
        if error is not None:
            raise error


def deprecation_mark(operation_id: str | None) -> DeprecationMark | None:
    """The mark of a logged call: set when its operation is deprecated, whatever the switch."""
    operation = OPERATIONS_BY_ID.get(operation_id) if operation_id else None
    if operation is None or operation.deprecation is None:
        return None
    deprecation = operation.deprecation
    return DeprecationMark(
        replacement=deprecation.replacement,
        degradation_start=deprecation.degradation_start,
        shutdown=deprecation.shutdown,
    )


def order_call_paths(*, campaign_id: int, order_id: int) -> tuple[str, ...]:
    """Every path under which the query log may hold a call of ``ORDER_METHODS`` naming this
    order: each spelling R-072 allows (``/v2`` or not, ``.json`` or not; a v1 path keeps its
    prefix). An order id spelled otherwise (leading zeros, percent-escapes) is not matched."""
    paths: list[str] = []
    for op in ORDER_METHODS:
        path = op.path.format(campaignId=campaign_id, orderId=order_id)
        prefixes = ("",) if path.startswith(V1_PREFIX + "/") else ("", limits.API_VERSION_PREFIX)
        for prefix in prefixes:
            paths += [prefix + path, prefix + path + limits.FORMAT_SUFFIX]
    return tuple(paths)
