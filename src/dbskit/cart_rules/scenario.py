"""A request the Market could send to a store's ``POST /cart``, and what is known about it: the
facts the checks compare the store's answer with."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Expect(StrEnum):
    """What the store's data say about a requested line."""

    IN_STOCK = "IN_STOCK"  # at least the requested count
    SHORT = "SHORT"  # fewer than requested, but some
    UNAVAILABLE = "UNAVAILABLE"  # count 0
    NOT_DELIVERABLE = "NOT_DELIVERABLE"  # delivery false
    ANY = "ANY"  # the stock is not known (a checkout's call): only the form is checked


class Auth(StrEnum):
    GOOD = "GOOD"
    WRONG = "WRONG"
    MISSING = "MISSING"


@dataclass(frozen=True, slots=True)
class Line:
    feed_id: int
    offer_id: str
    count: int
    expect: Expect

    def body(self) -> dict[str, Any]:
        return {"feedId": self.feed_id, "offerId": self.offer_id, "count": self.count}


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    body: dict[str, Any]
    lines: tuple[Line, ...] = ()
    auth: Auth = Auth.GOOD
    expected_status: int = 200
    unserved: bool = False  # deliveryOptions must be empty

    @property
    def expects_answer(self) -> bool:
        return self.expected_status == 200
