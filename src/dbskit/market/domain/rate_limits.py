"""Request limits as data: the budget of each operation, its hourly windows and its texts.

R-083 (hourly budgets per operation, counted per campaign or per business), R-084 (the
``X-RateLimit-Resource-*`` headers), R-085 and R-086 (the 420 messages), C-01/C-02 (seed and 2026
figures), OQ-15 (what counts). Windows are fixed and aligned to the hour of the sandbox clock: the
window number is ``floor(unix time / 3600)`` and becomes part of the counter key, so a counter
never needs resetting and every instance agrees on where a window ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Final

from dbskit.contract import limits
from dbskit.contract.errors import Messages
from dbskit.contract.operations import OPERATIONS, Operation, Profile

WINDOW_SECONDS: Final = int(limits.LIMIT_WINDOW.total_seconds())

LIMIT_HEADER: Final = limits.RATE_LIMIT_LIMIT_HEADER
UNTIL_HEADER: Final = limits.RATE_LIMIT_UNTIL_HEADER
REMAINING_HEADER: Final = limits.RATE_LIMIT_REMAINING_HEADER


def window_of(now: datetime) -> int:
    """The number of the fixed window that holds ``now`` (hours since the epoch)."""
    return int(now.timestamp()) // WINDOW_SECONDS


def window_end(window: int) -> datetime:
    return datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, UTC)


def rfc822(moment: datetime) -> str:
    """R-084: ``Thu, 10 Jul 2018 00:42:42 GMT``."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def period_text(window: timedelta) -> str:
    """``1 hour``, ``2 hours``, ``1 day``: the period as the 420 message names it (R-085)."""
    seconds = int(window.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    return f"{seconds} seconds"


@dataclass(frozen=True, slots=True)
class Budget:
    """What one operation may do: requests per window, parallel requests, and the texts of its
    420 answers. Built once at start-up, so the per-request path only reads it."""

    operation_id: str
    resource: str  # the path template the 420 message names, e.g. /campaigns/{campaignId}/orders
    per_campaign: bool
    per_window: int
    parallel: int

    @property
    def exceeded_message(self) -> str:
        return Messages.RESOURCE_LIMIT.format(
            limit=self.per_window, period=period_text(limits.LIMIT_WINDOW), resource=self.resource
        )

    @property
    def parallel_message(self) -> str:
        return Messages.PARALLEL_LIMIT.format(limit=self.parallel)


def budget_for(
    operation: Operation,
    profile: Profile,
    *,
    overrides: Mapping[str, int] | None = None,
    parallel: int | None = None,
) -> Budget:
    """The operation's figures for ``profile`` (C-01, C-02), with configured overrides."""
    figures = operation.limit(profile)
    per_window = (overrides or {}).get(operation.operation_id, figures.per_hour)
    return Budget(
        operation_id=operation.operation_id,
        resource=operation.path,
        per_campaign=operation.per_campaign,
        per_window=per_window,
        parallel=parallel if parallel is not None else figures.parallel,
    )


def budgets_for(
    profile: Profile,
    *,
    overrides: Mapping[str, int] | None = None,
    parallel: int | None = None,
    operations: tuple[Operation, ...] = OPERATIONS,
) -> dict[str, Budget]:
    """Every operation's budget, by operationId."""
    return {
        op.operation_id: budget_for(op, profile, overrides=overrides, parallel=parallel)
        for op in operations
    }


def campaign_counter_suffix(campaign_id: int) -> str:
    """How every counter key of the campaign's budgets ends (``counter_key``)."""
    return f":campaign:{campaign_id}"


def counter_key(budget: Budget, *, campaign_id: int | None, business_id: int | None) -> str:
    """Whose budget a call spends (R-083): its campaign's, or its business's where the path has
    no campaign."""
    if budget.per_campaign:
        if campaign_id is None:
            raise ValueError(f"{budget.operation_id} counts per campaign: campaign_id is required")
        return budget.operation_id + campaign_counter_suffix(campaign_id)
    if business_id is None:
        raise ValueError(f"{budget.operation_id} counts per business: business_id is required")
    return f"{budget.operation_id}:business:{business_id}"
