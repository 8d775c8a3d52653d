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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from dbskit.storage.db import Database
from dbskit.storage.tables import scheduled_events

log = logging.getLogger(__name__)

BATCH = 100


@dataclass(frozen=True, slots=True)
class ScheduledEvent:
    id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any]


Handler = Callable[[ScheduledEvent], Awaitable[str | None]]


# Built once: made per call with inline values, Core would compute a new cache key each time.
_INSERT_EVENT = insert(scheduled_events)


def schedule(
    conn: Connection, *, kind: str, due_at: datetime, payload: dict[str, Any], now: datetime
) -> int:
    """Add an event inside the caller's transaction (so it exists only if the change commits)."""
    result = conn.execute(
        _INSERT_EVENT, {"kind": kind, "due_at": due_at, "payload": payload, "created_at": now}
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


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
                batch = await self._db.run_read(lambda conn: _due(conn, now))
                if not batch:
                    return ran
                for event in batch:
                    if await self._claim(event, now):
                        await self._run(event)
                        ran += 1

    async def _claim(self, event: ScheduledEvent, now: datetime) -> bool:
        def claim(conn: Connection) -> bool:
            result = conn.execute(
                update(scheduled_events)
                .where(scheduled_events.c.id == event.id, scheduled_events.c.done_at.is_(None))
                .values(done_at=now)
            )
            return result.rowcount == 1

        return await self._db.run_write(claim)

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

        def record(conn: Connection) -> None:
            conn.execute(
                update(scheduled_events)
                .where(scheduled_events.c.id == event.id)
                .values(outcome=outcome or "done")
            )

        await self._db.run_write(record)


def _due(conn: Connection, now: datetime) -> list[ScheduledEvent]:
    rows = conn.execute(
        select(
            scheduled_events.c.id,
            scheduled_events.c.kind,
            scheduled_events.c.due_at,
            scheduled_events.c.payload,
        )
        .where(scheduled_events.c.done_at.is_(None), scheduled_events.c.due_at <= now)
        .order_by(scheduled_events.c.due_at, scheduled_events.c.id)
        .limit(BATCH)
    )
    return [ScheduledEvent(row.id, row.kind, row.due_at, row.payload) for row in rows]
