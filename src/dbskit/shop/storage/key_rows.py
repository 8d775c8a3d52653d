"""The key vault's input: one key of one offer per row, checked before anything is written.

A row is refused when the Market would refuse what the store later sends with it: an offerId
outside the Market's pattern (R-034, R-044), a key longer than the 2026 spec takes (C-04: the
store's deliveries must be valid under both profiles, and the seed sets no length), an
``activateTill`` that is not a calendar date in ``YYYY-MM-DD`` (R-005), a slip over the seed's
10,000 characters (R-005). An empty offerId or key is refused too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from dbskit.contract import limits

_OFFER_ID = re.compile(limits.OFFER_ID_PATTERN)
_DATE = re.compile(limits.DATE_ISO_PATTERN, re.ASCII)
KEY_MAX_LENGTH = limits.DIGITAL_CODE_MAX_LENGTH_2026  # C-04; the seed sets no limit
SLIP_MAX_LENGTH = limits.DIGITAL_SLIP_MAX_LENGTH  # R-005, seed:000


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One key for the vault. ``line``: where it was read (for the import's report), if anywhere."""

    offer_id: str
    key: str
    activate_till: date | None = None
    slip: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


class InvalidKeyRows(ValueError):
    """Rows the vault refuses; nothing of the import was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems[:5]))


def offer_and_key_problems(offer_id: str, key: str) -> list[str]:
    problems = []
    if not offer_id:
        problems.append("offerId is missing")
    elif not _is_offer_id(offer_id):
        problems.append(
            f"offerId {offer_id[:60]!r} does not match the Market's offerId pattern "
            f"(1 to {limits.CART_OFFER_ID_MAX_LENGTH} characters, no control characters)"
        )
    if not key:
        problems.append("key is missing")
    elif len(key) > KEY_MAX_LENGTH:
        problems.append(f"key is {len(key)} characters long; at most {KEY_MAX_LENGTH}")
    return problems


# A file holds many keys of few offers: each offerId and date is checked once per process.
_CHECKED_VALUES = 4_096


@lru_cache(maxsize=_CHECKED_VALUES)
def _is_offer_id(offer_id: str) -> bool:
    return _OFFER_ID.fullmatch(offer_id) is not None


def slip_problems(slip: str | None) -> list[str]:
    if slip is not None and len(slip) > SLIP_MAX_LENGTH:
        return [f"slip is {len(slip)} characters long; at most {SLIP_MAX_LENGTH}"]
    return []


@lru_cache(maxsize=_CHECKED_VALUES)
def parse_activate_till(text: str) -> date:
    """``YYYY-MM-DD``, a real calendar date; ValueError naming the field otherwise."""
    if _DATE.fullmatch(text) is None:
        raise ValueError(f"activateTill {text[:40]!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"activateTill {text!r} is not a calendar date") from None


def row_problems(row: KeyRow) -> list[RowProblem]:
    messages = offer_and_key_problems(row.offer_id, row.key) + slip_problems(row.slip)
    return [RowProblem(row.line, message) for message in messages]
