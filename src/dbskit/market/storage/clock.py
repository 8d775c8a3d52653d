"""The sandbox clock's offset from real time and its count of full resets: one row, shared by
every instance."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, insert, select, update

from dbskit.database.db import Transaction
from dbskit.market.storage.tables import sandbox_clock

_ROW = 1

# Built once: every instance reads the clock's state at each clock refresh.
_STATE = select(sandbox_clock.c.offset_us, sandbox_clock.c.resets).where(sandbox_clock.c.id == _ROW)
_SET_OFFSET = (
    update(sandbox_clock).where(sandbox_clock.c.id == _ROW).values(offset_us=bindparam("micros"))
)
_INSERT_OFFSET = insert(sandbox_clock).values(id=_ROW, offset_us=bindparam("micros"))

_RESET = (
    update(sandbox_clock)
    .where(sandbox_clock.c.id == _ROW)
    .values(offset_us=0, resets=sandbox_clock.c.resets + 1)
    .returning(sandbox_clock.c.resets)
)
_INSERT_RESET = insert(sandbox_clock).values(id=_ROW, offset_us=0, resets=1)


def read_clock_state(conn: Transaction) -> tuple[timedelta, int]:
    """The stored offset and the number of full resets; zero and zero until either happened."""
    row = conn.execute(_STATE).first()
    if row is None:
        return timedelta(0), 0
    return timedelta(microseconds=row.offset_us), int(row.resets)


def reset_clock(conn: Transaction) -> int:
    """Set the clock back to real time (a full reset of the sandbox); the new count of resets."""
    resets = conn.execute(_RESET).scalar()
    if resets is None:
        conn.execute(_INSERT_RESET)
        return 1
    return int(resets)


def store_clock_offset(conn: Transaction, offset: timedelta) -> None:
    micros = offset // timedelta(microseconds=1)
    if conn.execute(_SET_OFFSET, {"micros": micros}).rowcount == 0:
        conn.execute(_INSERT_OFFSET, {"micros": micros})  # the clock's first move
