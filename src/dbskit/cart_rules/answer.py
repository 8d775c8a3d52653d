"""Checking one POST /cart answer outside the battery: the Market's own call on a checkout.

The same checks as ``check-cart`` (``checks.CHECKS``), on a request whose stock the caller does
not know: counts are checked for their form only (R-047), never against an expectation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from dbskit.cart_rules.checks import run_checks
from dbskit.cart_rules.findings import CheckContext, Finding, Outcome
from dbskit.cart_rules.scenario import Expect, Line, Scenario

# The furthest time zone behind UTC: a date before today there is in the past everywhere.
FURTHEST_BEHIND = timedelta(hours=12)


def earliest_today(now: datetime) -> date:
    """Today where the calendar is furthest behind: earlier dates are past for every store."""
    return (now - FURTHEST_BEHIND).date()


def check_answer(
    *,
    lines: Iterable[tuple[int, str, int]],
    status: int,
    content_type: str | None,
    data: Any,
    elapsed: float,
    deadline: float,
    now: datetime,
) -> list[Finding]:
    """Every finding on one answer. ``lines``: the requested ``(feedId, offerId, count)``;
    ``data``: the parsed body (``results.UNPARSED`` when it is not JSON)."""
    asked = tuple(Line(feed_id, offer_id, count, Expect.ANY) for feed_id, offer_id, count in lines)
    outcome = Outcome(Scenario("checkout", {}, asked), status, content_type, data, elapsed)
    context = CheckContext(deadline=deadline, earliest_today=earliest_today(now))
    return run_checks([outcome], context)
