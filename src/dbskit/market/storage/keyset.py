"""The condition of a keyset page read newest first by (time, id): the rows after a position."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_


def older_than(
    at: ColumnElement[Any], row_id: ColumnElement[Any], position: tuple[datetime, int]
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Rows strictly older than ``position`` (a time and an id) in (time, id) order, as two
    conditions to AND: ``at <= t`` and ``(at < t OR id < i)``.

    The first is redundant with the second but is what lets SQLite and PostgreSQL start an
    index walk on (…, time, id) at the position: written only as ``at < t OR (at = t AND id <
    i)``, neither bounds the walk, and every later page reads down from the newest row to it.
    """
    moment, last_id = position
    return at <= moment, or_(at < moment, row_id < last_id)
