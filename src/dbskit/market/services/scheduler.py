"""Delayed work on the sandbox clock.

Other parts of the Market register handlers for event kinds (e-mail delivery, notification
attempts, automatic cancellations). An event runs once, when the sandbox clock reaches its due
time: from the background ticker as real time passes, or at once when the clock is advanced.

Due events run in rounds of up to ``DUE_BATCH``:

1. one write claims the round's events (a conditional update, so several instances sharing a
   database never run an event twice);
2. each kind's handler gets its events of the round, earliest first, and does its I/O outside
   any transaction; the kinds run concurrently, and a handler runs its own events concurrently
   where they are independent (the notification sender: one store URL at a time each);
3. the events' effects (each kind's ``Finish``) are written in due order with their outcomes,
   in transactions of ``WRITE_SECONDS`` or so. Writes of different kinds interleave in due order, so
   two events of one order (its keys e-mail, its automatic cancellation) take effect in the
   order they fell due.

An event a handler adds that is due by ``now`` runs in a later round of the same call. If one
event's writes fail, its transaction is rolled back and done again with each event in a
savepoint of its own, so the failing event alone is recorded as failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from itertools import groupby

from dbskit.database.db import Database, Transaction
from dbskit.market.storage.scheduled_events import (
    ScheduledEvent,
    claim_due,
    count_waiting,
    record_outcomes,
    schedule,
)

# What other services use: handlers receive ScheduledEvents, and ``schedule`` adds an event
# inside the caller's own transaction (so it exists only if the caller's change commits).
__all__ = [
    "EventWrites",
    "Finish",
    "Handler",
    "ScheduledEvent",
    "Scheduler",
    "failure_outcome",
    "schedule",
]

log = logging.getLogger(__name__)

# A round's effects are written in transactions of pieces of EVENTS_PER_PIECE events, committed
# once WRITE_SECONDS have passed. On SQLite every other writer waits for the transaction: 50 keys
# e-mails (the heaviest event, about 0.5 ms each) take about 25 ms, so it holds the lock 20-50 ms,
# about the longest chunk of the query log's purge (docs/benchmarks.md, "Storage figures"); a
# round of 359 notification attempts (about 45 µs each) takes one transaction.
EVENTS_PER_PIECE = 50
WRITE_SECONDS = 0.02

Finish = Callable[[Transaction, Sequence[ScheduledEvent]], list[str | None]]
"""Applies the effects of some of a handler's events (consecutive in due order, earliest first)
in a write transaction of the round; returns each one's outcome (None: "done")."""

Handler = Callable[[Sequence[ScheduledEvent]], Awaitable[Finish]]
"""Gets every event of its kind in a round, earliest first; does the I/O, then gives the Finish
that writes the results. The Finish may be called for any run of those events, and again after a
rollback, so it writes only from what the handler found and the transaction reads."""

EventWrites = Callable[[Transaction, ScheduledEvent], str | None]
"""One event whose whole work is in the database (``Scheduler.register_writes``)."""


class Scheduler:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._handlers: dict[str, Handler] = {}
        self._lock = asyncio.Lock()

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def register_writes(self, kind: str, writes: EventWrites) -> None:
        """A kind with no I/O: each event's ``writes`` runs in a write transaction of the round."""

        async def handler(_events: Sequence[ScheduledEvent]) -> Finish:
            return lambda conn, run: [writes(conn, event) for event in run]

        self.register(kind, handler)

    async def run_due(self, now: datetime) -> int:
        """Run every event due at ``now``, earliest first, including those the handlers add.
        Returns how many this call ran."""
        ran = 0
        async with self._lock:
            while True:
                events = await self._db.run_write(lambda conn: claim_due(conn, now))
                if not events:
                    return ran
                finishes = await self._prepare(events)
                await self._finish(events, finishes)
                ran += len(events)

    async def waiting(self, now: datetime) -> int:
        """Events not yet run that are due after ``now``."""
        return await self._db.run_read(lambda conn: count_waiting(conn, now))

    async def _prepare(self, events: list[ScheduledEvent]) -> dict[str, Finish]:
        by_kind: dict[str, list[ScheduledEvent]] = {}
        for event in events:
            by_kind.setdefault(event.kind, []).append(event)
        kinds = list(by_kind)
        finishes = await asyncio.gather(
            *(self._prepare_kind(kind, by_kind[kind]) for kind in kinds)
        )
        return dict(zip(kinds, finishes, strict=True))

    async def _prepare_kind(self, kind: str, events: list[ScheduledEvent]) -> Finish:
        handler = self._handlers.get(kind)
        if handler is None:
            return _each(f"no handler for {kind!r}")
        try:
            return await handler(events)
        except Exception as exc:
            log.exception("scheduled events of kind %s failed", kind)
            return _each(failure_outcome(exc))

    async def _finish(self, events: list[ScheduledEvent], finishes: dict[str, Finish]) -> None:
        rest = events
        while rest:
            try:
                written = await self._db.run_write(partial(_write_a_while, rest, finishes))
            except Exception:
                piece = rest[:EVENTS_PER_PIECE]
                await self._db.run_write(partial(_write_one_by_one, piece, finishes))
                written = len(piece)
            rest = rest[written:]


def _write_a_while(
    events: list[ScheduledEvent], finishes: dict[str, Finish], conn: Transaction
) -> int:
    """Write pieces of ``events`` in due order until ``WRITE_SECONDS`` have passed; how many."""
    started = time.perf_counter()
    outcomes: list[tuple[int, str]] = []
    for start in range(0, len(events), EVENTS_PER_PIECE):
        # Runs of one kind in due order: each kind writes its run at once.
        piece = events[start : start + EVENTS_PER_PIECE]
        for kind, run in groupby(piece, key=lambda event: event.kind):
            batch = list(run)
            done = finishes[kind](conn, batch)
            outcomes += [(e.id, o or "done") for e, o in zip(batch, done, strict=True)]
        if time.perf_counter() - started >= WRITE_SECONDS:
            break
    record_outcomes(conn, outcomes)
    return len(outcomes)


def _write_one_by_one(
    events: list[ScheduledEvent], finishes: dict[str, Finish], conn: Transaction
) -> None:
    outcomes: list[tuple[int, str]] = []
    for event in events:
        try:
            with conn.begin_nested():
                (outcome,) = finishes[event.kind](conn, [event])
        except Exception as exc:
            log.exception("scheduled event %s (%s) failed", event.id, event.kind)
            outcome = failure_outcome(exc)
        outcomes.append((event.id, outcome or "done"))
    record_outcomes(conn, outcomes)


def _each(outcome: str) -> Finish:
    return lambda _conn, run: [outcome] * len(run)


def failure_outcome(exc: Exception) -> str:
    """The outcome recorded for an event whose work raised ``exc``."""
    return f"failed: {exc.__class__.__name__}: {exc}"
