"""Writing the query log off the hot path: calls are buffered in memory and written in batches.

Each finished call becomes its row at once, on the event loop (a few microseconds, spread evenly
over the calls); a background task writes the buffered rows every ``flush_interval`` seconds, or
sooner when it holds ``BATCH`` of them, in one transaction in a worker thread, which then runs
little Python and so rarely keeps the event loop waiting for the GIL. The same transaction purges
entries older than the retention period (R-111) on the sandbox clock. ``stop`` writes whatever is
left, so a clean shutdown loses nothing.

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

from sqlalchemy import Connection, delete
from sqlalchemy.exc import StatementError

from dbskit.market.domain.clock import Clock
from dbskit.market.domain.query_log import (
    CapturedCall,
    clip_body,
    redacted_headers,
    redacted_query,
)
from dbskit.storage.db import Database
from dbskit.storage.held_writes import copy_rows
from dbskit.storage.tables import query_log
from dbskit.storage.types import json_text, to_micros

log = logging.getLogger(__name__)

BATCH: Final = 500  # calls that trigger a write before the interval is up
MAX_PENDING: Final = 50_000  # beyond this (the database is stuck) the oldest calls are dropped
PURGE_EVERY: Final = timedelta(minutes=10)  # on the sandbox clock


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
        self._pending: list[Row] = []
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._next_purge: datetime | None = None  # None: purge on the first write
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
        pending.append(_row(call, self._body_limit))
        if len(pending) >= BATCH:
            self._wake.set()
            if len(pending) > MAX_PENDING:
                excess = len(pending) - MAX_PENDING
                del pending[:excess]
                self.dropped += excess
                log.warning("query log: the database is behind; dropped %d calls", excess)

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="dbskit-query-log")

    async def stop(self) -> None:
        """Stop the background task and write everything still buffered."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> int:
        """Write the buffered calls now (and purge when due). Returns how many were written."""
        async with self._flushing:
            batch, self._pending = self._pending, []
            now = self._clock.now()
            purge_due = self._next_purge is None or now >= self._next_purge
            if not batch and not purge_due:
                return 0
            cutoff = now - self._retention if purge_due else None
            try:
                await self._db.run_write(lambda conn: self._write(conn, batch, cutoff))
            except Exception as exc:
                if not batch or not refuses_a_row(exc):
                    self._pending[:0] = batch  # keep them for the next attempt
                    raise
                return await self._write_apart(batch)  # the purge waits for the next flush
            except BaseException:
                self._pending[:0] = batch
                raise
            if purge_due:
                self._next_purge = now + PURGE_EVERY
            return len(batch)

    async def _write_apart(self, batch: list[Row]) -> int:
        """Write ``batch`` in ever smaller parts until each part is written or is one row the
        database refuses (dropped and counted). Returns how many rows were written."""
        half = len(batch) // 2
        parts = [batch[:half], batch[half:]] if half else [batch]  # the whole failed already
        written = 0
        while parts:
            part = parts.pop(0)
            try:
                await self._db.run_write(functools.partial(self._write, batch=part, cutoff=None))
            except Exception as exc:
                if not refuses_a_row(exc):
                    self._pending[:0] = [row for rest in (part, *parts) for row in rest]
                    raise
                if len(part) > 1:
                    half = len(part) // 2
                    parts[:0] = [part[:half], part[half:]]
                    continue
                self.dropped += 1
                log.warning(
                    "query log: the database refused the entry of %s %s (%s: %s); dropped it, "
                    "%d dropped since start",
                    part[0][_METHOD],
                    str(part[0][_PATH])[:200],
                    type(exc).__name__,
                    str(exc).splitlines()[0] if str(exc) else "",
                    self.dropped,
                )
            else:
                written += len(part)
        return written

    def _write(self, conn: Connection, batch: list[Row], cutoff: datetime | None) -> None:
        # Plain values straight to the driver (COPY on PostgreSQL, executemany on SQLite): several
        # times cheaper per row than insert() with its type processing, and this runs for every
        # call.
        if batch and conn.dialect.name == "postgresql":
            copy_rows(conn, query_log.name, _COLUMNS, batch)
        elif batch:
            conn.exec_driver_sql(_SQLITE_INSERT, batch)
        if cutoff is not None:
            conn.execute(delete(query_log).where(query_log.c.at < cutoff))

    async def _run(self) -> None:
        failing = False
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._flush_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.flush()
            except Exception as exc:
                if failing:  # one traceback per outage, not one per interval
                    log.warning(
                        "query log: writing still fails (%s); %d entries wait",
                        exc,
                        len(self._pending),
                    )
                else:
                    log.exception("query log: writing a batch failed; it is kept for the next try")
                failing = True
            else:
                failing = False


_COLUMNS: Final = tuple(column.name for column in query_log.columns if column.name != "id")


# Names from the table definition, values as sqlite3's parameters.
_SQLITE_INSERT: Final = (
    f"INSERT INTO {query_log.name} ({', '.join(_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['?'] * len(_COLUMNS))})"
)


Row = tuple[object, ...]
_METHOD: Final = _COLUMNS.index("method")
_PATH: Final = _COLUMNS.index("path")

NUL: Final = "\x00"
NUL_STORED_AS: Final = "\ufffd"  # as bytes that are not UTF-8 are stored


def storable(text: str) -> str:
    """``text`` as both databases store it: PostgreSQL's text cannot hold NUL."""
    return text.replace(NUL, NUL_STORED_AS) if NUL in text else text


def refuses_a_row(exc: BaseException) -> bool:
    """Whether the database (or its driver) refused what a row holds, rather than being out of
    reach: a DB-API ``DataError`` or ``IntegrityError``, or a value the driver cannot convert."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, ValueError | TypeError | OverflowError):
        return True
    return any(cls.__name__ in {"DataError", "IntegrityError"} for cls in type(exc).__mro__)


def _row(call: CapturedCall, body_limit: int) -> Row:
    """The call as the query_log row, in ``_COLUMNS`` order, as the driver takes it."""
    request = clip_body(call.request_chunks, size=call.request_size, limit=body_limit)
    response = clip_body(call.response_chunks or [], size=call.response_size, limit=body_limit)
    return (
        to_micros(call.at),
        call.method,
        storable(call.path),
        storable(redacted_query(call.query)),
        call.status,
        call.operation_id,
        call.campaign_id,
        call.business_id,
        json_text(redacted_headers(call.request_headers)),
        storable(request.text),
        request.size,
        request.truncated,
        json_text(redacted_headers(call.response_headers or ())),
        storable(response.text),
        response.size,
        response.truncated,
    )
