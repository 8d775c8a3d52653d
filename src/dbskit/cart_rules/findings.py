"""What one scenario produced and what a check found in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from dbskit.cart_rules.scenario import Scenario


class Severity(StrEnum):
    ERROR = "ERROR"  # the Market would reject the answer: the exit code is non-zero
    WARNING = "WARNING"  # tolerated by the Market, worth fixing


@dataclass(frozen=True, slots=True)
class Finding:
    scenario: str
    check: str
    rule: str
    path: str
    message: str
    severity: Severity = Severity.ERROR


class Unparsed:
    """The body was not JSON (``Outcome.data`` then holds this marker)."""


UNPARSED = Unparsed()


@dataclass(frozen=True, slots=True)
class Outcome:
    """One scenario's exchange. ``status`` is None when no answer came (``failure`` says why)."""

    scenario: Scenario
    status: int | None
    content_type: str | None
    data: Any
    elapsed: float
    failure: str | None = None
    timed_out: bool = False

    @property
    def answered(self) -> bool:
        """A 200 answer that parsed as JSON: what the body checks look at."""
        return (
            self.scenario.expects_answer
            and self.status == 200
            and not isinstance(self.data, Unparsed)
        )


@dataclass(frozen=True, slots=True)
class CheckContext:
    deadline: float  # seconds
    earliest_today: date  # today where the calendar is furthest behind: earlier dates are past
    # The outlet codes registered in the store's data (C-17); None: not known, not checked.
    outlet_codes: frozenset[str] | None = None
