"""Writing the query log off the hot path: calls are buffered in memory and written in batches.

Each finished call becomes its row at once, on the event loop (a few microseconds, spread evenly
over the calls); a background task writes the buffered rows every ``flush_interval`` seconds, or
sooner when it holds ``BATCH`` of them or ``BATCH_BODIES`` of bodies, in batches of at most as
many, each a short write of its own (``Database.run_write``): on SQLite each holds the event loop
a few milliseconds at most, and the loop runs between them. After a write, the task
purges entries older than the retention period (R-111) on the sandbox clock, at most every
``PURGE_EVERY``, in transactions of their own of at most ``PURGE_CHUNK`` entries each
(``market.storage.query_log.purge``): however many are due, neither the event loop nor SQLite's
writer thread is held for long. ``stop`` writes whatever is left, so a clean shutdown loses
nothing.

A row holds only what both databases can store: text with the NUL character (a path ``/%00``,
a body with a raw 0x00, which PostgreSQL's text refuses) is stored with U+FFFD in its place. Should
the database still refuse a batch for what a row holds (a DB-API ``DataError`` or
``IntegrityError``, a value the driver cannot convert), the batch is written again in halves
until the rows it refuses are found alone; those are dropped, counted (``dropped``, shown by
``GET /sandbox/requests``) and logged, and every other row is written. Only a database that cannot
be reached keeps a batch for the next try.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import datetime, timedelta
from typing import Final

from dbskit.clock import Clock
from dbskit.database.db import Database
from dbskit.database.values import json_text, to_micros
from dbskit.market.domain.query_log import (
    CapturedCall,
    clip_body,
    redacted_headers,
    redacted_query,
    storable,
)
from dbskit.market.storage.query_log import (
    Purged,
    QueryLogEntry,
    insert_entries,
    purge,
    refuses_a_row,
)

log = logging.getLogger(__name__)

BATCH: Final = 500  # calls that trigger a write before the interval is up
# Bodies a batch holds at most (characters of text, about bytes): a batch is written on the event
# loop, and SQLite takes about 6 µs of CPU per KB of body (a 60 KB page of getOrders about 350
# µs), so 500 such calls would hold the loop for a fifth of a second.
BATCH_BODIES: Final = 1 << 20
MAX_PENDING: Final = 50_000  # beyond this (the database is stuck) the oldest calls are dropped
PURGE_EVERY: Final = timedelta(minutes=10)  # on the sandbox clock


class _Unwritten(Exception):
    """Writing a batch in parts stopped at ``error``: ``rows`` are the ones not written."""

    def __init__(self, rows: list[QueryLogEntry], error: Exception) -> None:
        super().__init__(str(error))
        self.rows = rows
        self.error = error


class QueryLogWriter:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        retention: timedelta,
        flush_interval: float,
        body_limit: int,
    ) -> None:
        self._db = db
        self._clock = clock
        self._retention = retention
        self._flush_interval = flush_interval
        self._body_limit = body_limit
        self._pending: list[QueryLogEntry] = []
        self._pending_bodies = 0  # what the pending entries' bodies hold (``_bodies``)
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._purging = asyncio.Lock()
        self._next_purge: datetime | None = None  # None: purge after the first write
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.dropped = 0

    @property
    def body_limit(self) -> int:
        return self._body_limit

    @property
    def retention(self) -> timedelta:
        return self._retention

    def record(self, call: CapturedCall) -> None:
        """Queue one call (no I/O; called on the event loop for every Partner API answer)."""
        pending = self._pending
        entry = _entry(call, self._body_limit)
        pending.append(entry)
        self._pending_bodies += _bodies(entry)
        if len(pending) >= BATCH or self._pending_bodies >= BATCH_BODIES:
            self._wake.set()
            if len(pending) > MAX_PENDING:
                excess = len(pending) - MAX_PENDING
                self._pending_bodies -= sum(map(_bodies, pending[:excess]))
                del pending[:excess]
                self.dropped += excess
                log.warning("query log: the database is behind; dropped %d calls", excess)

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="dbskit-query-log")

    async def stop(self) -> None:
        """Stop the background task (a purge under way ends after its current chunk) and write
        everything still buffered."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> int:
        """Write the buffered calls now, in batches of at most ``BATCH`` calls and
        ``BATCH_BODIES`` of bodies (a larger call alone). Returns how many were written."""
        async with self._flushing:
            pending, self._pending = self._pending, []
            self._pending_bodies = 0
            written = start = 0
            for end in _batch_ends(pending):
                try:
                    written += await self._write(pending[start:end])
                except _Unwritten as unwritten:  # part of the batch was written
                    self._keep([*unwritten.rows, *pending[end:]])
                    raise unwritten.error from None
                except BaseException:
                    self._keep(pending[start:])  # kept for the next attempt
                    raise
                start = end
            return written

    def _keep(self, unwritten: list[QueryLogEntry]) -> None:
        """Put calls not written back before those recorded since."""
        self._pending[:0] = unwritten
        self._pending_bodies += sum(map(_bodies, unwritten))

    async def _write(self, batch: list[QueryLogEntry]) -> int:
        # At most BATCH rows and BATCH_BODIES of bodies: short work. On SQLite the log has a file
        # (and a loop writer) of its own, so its batches wait for no call's write nor a call's
        # write for them; on the loop rather than in a thread, where each batch took the GIL from
        # the loop: getOrder cost 215-260 µs a call with the batches in a thread, 179-187 µs with
        # them on the loop.
        try:
            await self._db.run_write(functools.partial(insert_entries, entries=batch), short=True)
        except Exception as exc:
            if not refuses_a_row(exc):
                raise
            return await self._write_apart(batch)
        return len(batch)

    def restart_purges(self) -> None:
        """The sandbox clock went back (a full reset): the next purge is due at once, not at a
        time the clock passed before it went back."""
        self._next_purge = None

    async def purge_if_due(self) -> Purged | None:
        """Delete the entries older than the retention period (R-111) if the last purge is
        ``PURGE_EVERY`` old on the sandbox clock (the first is due at once); None if not due.
        Waits for a purge under way, after which none is due."""
        async with self._purging:
            now = self._clock.now()
            if self._next_purge is not None and now < self._next_purge:
                return None
            purged = await purge(
                self._db, before=now - self._retention, stopping=lambda: self._stopping
            )
            if not self._stopping:  # a purge cut short by ``stop`` is due again on start
                self._next_purge = now + PURGE_EVERY
            return purged

    async def _write_apart(self, batch: list[QueryLogEntry]) -> int:
        """Write ``batch`` in ever smaller parts until each part is written or is one row the
        database refuses (dropped and counted). Returns how many rows were written."""
        half = len(batch) // 2
        parts = [batch[:half], batch[half:]] if half else [batch]  # the whole failed already
        written = 0
        while parts:
            part = parts.pop(0)
            try:
                await self._db.run_write(
                    functools.partial(insert_entries, entries=part), short=True
                )
            except Exception as exc:
                if not refuses_a_row(exc):
                    # The rows of this batch not yet written go back with the rest (``flush``).
                    raise _Unwritten([row for rest in (part, *parts) for row in rest], exc) from exc
                if len(part) > 1:
                    half = len(part) // 2
                    parts[:0] = [part[:half], part[half:]]
                    continue
                self._drop_refused(part[0], exc)
            else:
                written += len(part)
        return written

    def _drop_refused(self, entry: QueryLogEntry, exc: Exception) -> None:
        self.dropped += 1
        log.warning(
            "query log: the database refused the entry of %s %s (%s: %s); dropped it, "
            "%d dropped since start",
            entry["method"],
            entry["path"][:200],
            type(exc).__name__,
            str(exc).splitlines()[0] if str(exc) else "",
            self.dropped,
        )

    async def _run(self) -> None:
        failing = False
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._flush_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
                await self.purge_if_due()
            except Exception as exc:
                if failing:  # one traceback per outage, not one per interval
                    log.warning(
                        "query log: writing still fails (%s); %d entries wait",
                        exc,
                        len(self._pending),
                    )
                else:
                    log.exception(
                        "query log: writing a batch or purging failed; retried at the next flush"
                    )
                failing = True
            else:
                failing = False


def _bodies(entry: QueryLogEntry) -> int:
    return len(entry["request_body"]) + len(entry["response_body"])


def _batch_ends(entries: list[QueryLogEntry]) -> list[int]:
    """Where each batch of ``entries`` ends: at ``BATCH`` calls, or before the call that would
    take its bodies past ``BATCH_BODIES``."""
    ends: list[int] = []
    start = bodies = 0
    for index, entry in enumerate(entries):
        size = _bodies(entry)
        if index > start and (index - start >= BATCH or bodies + size > BATCH_BODIES):
            ends.append(index)
            start, bodies = index, 0
        bodies += size
    if start < len(entries):
        ends.append(len(entries))
    return ends


def _entry(call: CapturedCall, body_limit: int) -> QueryLogEntry:
    """The call as its query_log row, values as the driver takes them."""
    request = clip_body(call.request_chunks, size=call.request_size, limit=body_limit)
    response = clip_body(call.response_chunks or [], size=call.response_size, limit=body_limit)
    return {
        "at": to_micros(call.at),
        "method": call.method,
        "path": storable(call.path),
        "query": storable(redacted_query(call.query)),
        "status": call.status,
        "operation_id": call.operation_id,
        "campaign_id": call.campaign_id,
        "business_id": call.business_id,
        "request_headers": json_text(redacted_headers(call.request_headers)),
        "request_body": request.text,
        "request_size": request.size,
        "request_truncated": request.truncated,
        "response_headers": json_text(redacted_headers(call.response_headers or ())),
        "response_body": response.text,
        "response_size": response.size,
        "response_truncated": response.truncated,
        "fault_rule_id": call.fault_rule_id,
        "fault": call.fault,
        "order_id": call.order_id,
    }
