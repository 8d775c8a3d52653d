"""Delayed work on the sandbox clock.

Later parts of the Market register handlers for event kinds (e-mail delivery, notification
retries, automatic cancellations). An event runs once, when the sandbox clock reaches its due
time: from the background ticker as real time passes, or at once when the clock is advanced.
Claiming is a conditional update, so several instances sharing a database never run an event
twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from dbskit.database.db import Database
from dbskit.market.storage.scheduled_events import (
    ScheduledEvent,
    claim_event,
    due_events,
    record_outcome,
    schedule,
)

# What other services use: handlers receive a ScheduledEvent, and ``schedule`` adds an event
# inside the caller's own transaction (so it exists only if the caller's change commits).
__all__ = ["Handler", "ScheduledEvent", "Scheduler", "schedule"]

log = logging.getLogger(__name__)

Handler = Callable[[ScheduledEvent], Awaitable[str | None]]


class Scheduler:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._handlers: dict[str, Handler] = {}
        self._lock = asyncio.Lock()

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    async def run_due(self, now: datetime) -> int:
        """Run every event due at ``now``, earliest first, including those the handlers add."""
        ran = 0
        async with self._lock:
            while True:
                batch = await self._db.run_read(lambda conn: due_events(conn, now))
                if not batch:
                    return ran
                for event in batch:
                    if await self._claim(event, now):
                        await self._run(event)
                        ran += 1

    async def _claim(self, event: ScheduledEvent, now: datetime) -> bool:
        return await self._db.run_write(lambda conn: claim_event(conn, event.id, now))

    async def _run(self, event: ScheduledEvent) -> None:
        handler = self._handlers.get(event.kind)
        if handler is None:
            outcome: str | None = f"no handler for {event.kind!r}"
        else:
            try:
                outcome = await handler(event)
            except Exception as exc:
                log.exception("scheduled event %s (%s) failed", event.id, event.kind)
                outcome = f"failed: {exc.__class__.__name__}: {exc}"

        recorded = outcome or "done"
        await self._db.run_write(lambda conn: record_outcome(conn, event.id, recorded))
