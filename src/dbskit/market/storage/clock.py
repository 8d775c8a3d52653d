"""The sandbox clock's offset from real time: one row, shared by every instance."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, insert, select, update

from dbskit.database.db import Transaction
from dbskit.market.storage.tables import sandbox_clock

_ROW = 1

# Built once: every instance reads the offset at each clock refresh.
_OFFSET = select(sandbox_clock.c.offset_us).where(sandbox_clock.c.id == _ROW)
_SET_OFFSET = (
    update(sandbox_clock).where(sandbox_clock.c.id == _ROW).values(offset_us=bindparam("micros"))
)
_INSERT_OFFSET = insert(sandbox_clock).values(id=_ROW, offset_us=bindparam("micros"))


def read_clock_offset(conn: Transaction) -> timedelta:
    """The stored offset; zero until the clock was first moved."""
    micros = conn.execute(_OFFSET).scalar()
    return timedelta(microseconds=micros or 0)


def store_clock_offset(conn: Transaction, offset: timedelta) -> None:
    micros = offset // timedelta(microseconds=1)
    if conn.execute(_SET_OFFSET, {"micros": micros}).rowcount == 0:
        conn.execute(_INSERT_OFFSET, {"micros": micros})  # the clock's first move
