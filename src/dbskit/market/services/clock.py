"""Reading and moving the sandbox clock, shared by every instance through the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from dbskit.clock import Clock
from dbskit.contract.sandbox import ClockAdvanced
from dbskit.database.db import Database, Transaction
from dbskit.market.services.scheduler import Scheduler
from dbskit.market.storage.clock import read_clock_state, store_clock_offset


class ClockService:
    def __init__(self, *, db: Database, clock: Clock, scheduler: Scheduler) -> None:
        self._db = db
        self._clock = clock
        self._scheduler = scheduler

    def load(self) -> None:
        """Adopt the stored offset (at start-up, before serving)."""
        with self._db.read() as conn:
            self._adopt(read_clock_state(conn))

    async def refresh(self) -> None:
        """Adopt an offset another instance may have stored, or its reset of the sandbox."""
        self._adopt(await self._db.run_read(read_clock_state))

    def _adopt(self, state: tuple[timedelta, int]) -> None:
        offset, resets = state
        self._clock.adopt(offset, resets=resets)

    async def advance(
        self, *, seconds: float | None = None, to: datetime | None = None
    ) -> ClockAdvanced:
        """Move the clock forward, then run every event that fell due (those the events add
        included); answers with the new now and the events run and remaining."""

        def store(conn: Transaction) -> timedelta:
            # Inside the write lock: adopt what other instances stored, then move on from there.
            self._adopt(read_clock_state(conn))
            advance = None if seconds is None else timedelta(seconds=seconds)
            offset = self._clock.offset_for(advance=advance, to=to)
            store_clock_offset(conn, offset)
            return offset

        self._clock.adopt(await self._db.run_write(store))
        now = self._clock.now()
        ran = await self._scheduler.run_due(now)
        remaining = await self._scheduler.waiting(now)
        return ClockAdvanced(now=now, events_run=ran, events_remaining=remaining)
