"""The Market's own column types: an item's marking codes on its row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from dbskit.contract.enums import InstanceType
from dbskit.database.values import json_text
from dbskit.market.domain.marking import MarkingCode


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
