"""Reading and moving the sandbox clock, shared by every instance through the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from dbskit.market.domain.clock import Clock
from dbskit.market.services.scheduler import Scheduler
from dbskit.storage.db import Database
from dbskit.storage.tables import sandbox_clock

_ROW = 1


def _read_offset(conn: Connection) -> timedelta:
    micros = conn.execute(
        select(sandbox_clock.c.offset_us).where(sandbox_clock.c.id == _ROW)
    ).scalar()
    return timedelta(microseconds=micros or 0)


class ClockService:
    def __init__(self, *, db: Database, clock: Clock, scheduler: Scheduler) -> None:
        self._db = db
        self._clock = clock
        self._scheduler = scheduler

    def load(self) -> None:
        """Adopt the stored offset (at start-up, before serving)."""
        with self._db.read() as conn:
            self._clock.adopt(_read_offset(conn))

    async def refresh(self) -> None:
        """Adopt an offset another instance may have stored."""
        self._clock.adopt(await self._db.run_read(_read_offset))

    async def advance(
        self, *, seconds: float | None = None, to: datetime | None = None
    ) -> datetime:
        """Move the clock forward, then run every event that fell due. Returns the new now."""

        def store(conn: Connection) -> timedelta:
            # Inside the write lock: adopt what other instances stored, then move on from there.
            self._clock.adopt(_read_offset(conn))
            advance = None if seconds is None else timedelta(seconds=seconds)
            offset = self._clock.offset_for(advance=advance, to=to)
            micros = offset // timedelta(microseconds=1)
            updated = conn.execute(
                update(sandbox_clock).where(sandbox_clock.c.id == _ROW).values(offset_us=micros)
            )
            if updated.rowcount == 0:
                conn.execute(insert(sandbox_clock).values(id=_ROW, offset_us=micros))
            return offset

        self._clock.adopt(await self._db.run_write(store))
        now = self._clock.now()
        await self._scheduler.run_due(now)
        return now
