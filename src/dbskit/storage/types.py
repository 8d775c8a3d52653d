"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import BigInteger, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from dbskit.contract.enums import InstanceType
from dbskit.market.domain.marking import MarkingCode


def json_text(value: Any) -> str:
    """What a JSON column stores: pydantic-core's compact UTF-8 JSON, several times faster than
    ``json.dumps`` on the small values the write paths store, and read back to the same values."""
    return to_json(value).decode()


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    # Half the cost of fromtimestamp() and replace(), and exact for any stored value.
    return _EPOCH + timedelta(microseconds=micros)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware UTC datetime stored as microseconds since the epoch (exact, sortable, portable)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        return None if value is None else to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


def unit_codes_text(codes: Sequence[MarkingCode] | None) -> str | None:
    """An item's unit codes as ``UnitCodes`` stores them; None when it has none."""
    if not codes:
        return None
    return json_text([[code.kind.value, code.value, code.cis, code.country_code] for code in codes])


def unit_codes_from_text(text: str | None) -> tuple[MarkingCode, ...]:
    """The codes ``unit_codes_text`` wrote, in the order they were sent."""
    if text is None:
        return ()
    return tuple(
        MarkingCode(InstanceType(kind), value, cis, country_code)
        for kind, value, cis, country_code in from_json(text)
    )


class UnitCodes(TypeDecorator[tuple[MarkingCode, ...]]):
    """An item's marking codes, one per unit in the order sent (R-035): a JSON array of
    ``[kind, value, cis, countryCode]`` arrays, NULL for none.

    PUT identifiers replaces an item's codes as a whole (OQ-08) and every reader takes them as a
    whole, so they live on the item's row: one UPDATE per listed item where a table of codes took
    a DELETE per item and an INSERT per code, and an order reads its codes without a join.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(
        self, value: Sequence[MarkingCode] | None, dialect: Dialect
    ) -> str | None:
        return unit_codes_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[MarkingCode, ...]:
        return unit_codes_from_text(value)
