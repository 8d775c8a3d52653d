"""The query log's rows (``query_log``, R-111): batches of entries appended, pages read newest
first, the calls a campaign made to given paths, and the purge of entries past the retention
period in chunks.

An entry arrives as the writer built it on the event loop (``QueryLogEntry``): every value
already what the driver stores (the time in microseconds, headers as JSON text), so the insert
names the columns without their types and Core runs no bind processing on them: on batches of
500 typical entries, a fifth less CPU in the worker thread than ``insert(query_log)`` given a
datetime and dicts for its processors (about 8-13 against 10-16 µs per entry on SQLite, 26-30
against 33-38 on PostgreSQL; ``python -m benchmarks.storage_figures``).

The purge deletes at most ``PURGE_CHUNK`` entries per transaction, each chunk a unit of work of
its own in a worker thread (never ``short``), so that neither the event loop nor SQLite's one
writer thread is held for long however many entries are due; other writes run between chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NotRequired, TypedDict

from sqlalchemy import Row, bindparam, column, delete, insert, select, table
from sqlalchemy.exc import StatementError

from dbskit.contract.sandbox import LoggedMessage, LoggedRequest
from dbskit.contract.sandbox_faults import FaultKind, InjectedFault
from dbskit.database.db import Database, Transaction
from dbskit.market.storage.keyset import older_than
from dbskit.market.storage.tables import query_log

# Entries deleted per purge transaction. Measured on 200,000 entries due (2 CPUs, shared): the
# purge took about 1 s at any chunk size from 1,000 to 10,000 and the event loop's wake-ups were
# late by 0.2 ms at the median throughout (SQLite's DELETE runs without the GIL); what the size
# sets is how long a chunk holds SQLite's one writer thread, which every other write queues
# behind: a DELETE of 2,000 took 4-12 ms, of 5,000 14-29 ms, of 10,000 31-70 ms.
PURGE_CHUNK: Final = 2_000


class QueryLogEntry(TypedDict):
    """One Partner API call as its row stores it (every column but ``id``), values as the
    driver takes them."""

    at: int  # microseconds since the epoch (``UtcTimestamp``)
    method: str
    path: str
    query: str
    status: int
    operation_id: str | None
    campaign_id: int | None
    business_id: int | None
    request_headers: str  # JSON text of a ``dict[str, str]``
    request_body: str
    request_size: int
    request_truncated: bool
    response_headers: str  # JSON text
    response_body: str
    response_size: int
    response_truncated: bool
    # The sandbox's fault rule that faulted the call and its fault; the writer always sets both.
    fault_rule_id: NotRequired[int | None]
    fault: NotRequired[str | None]
    # The order the call concerns: the one its path names; the writer always sets it (0016).
    order_id: NotRequired[int | None]


@dataclass(frozen=True, slots=True)
class Purged:
    """What a purge did: entries deleted, in how many transactions."""

    entries: int
    chunks: int


_t = query_log.c

# The table's columns without their types: the entries hold the driver's values already.
_UNTYPED = table(query_log.name, *(column(name) for name in QueryLogEntry.__annotations__))
# Built once: Core finds the compiled statement by its cache key, which a new one recomputes.
_INSERT = insert(_UNTYPED)

# The oldest entries first, in the order of ``ix_query_log_at (at, id)``: the index yields them
# without a sort and the scan stops after ``limit`` of them.
_DELETE_OLDEST = delete(query_log).where(
    _t.id.in_(
        select(_t.id)
        .where(_t.at < bindparam("before"))
        .order_by(_t.at, _t.id)
        .limit(bindparam("limit"))
    )
)


def insert_entries(conn: Transaction, entries: Sequence[QueryLogEntry]) -> None:
    """Append ``entries`` (one executemany)."""
    if entries:
        conn.execute(_INSERT, entries)


def delete_oldest(conn: Transaction, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the entries that arrived before ``before``, oldest first;
    returns how many were deleted."""
    result = conn.execute(_DELETE_OLDEST, {"before": before, "limit": limit})
    return int(result.rowcount)


async def purge(
    db: Database, *, before: datetime, stopping: Callable[[], bool] = lambda: False
) -> Purged:
    """Delete every entry that arrived before ``before``, ``PURGE_CHUNK`` at a time, each chunk
    in a write transaction of its own; the event loop runs between chunks. Ends early, the rest
    left to the next purge, once ``stopping()`` is true."""
    entries = chunks = 0
    while not stopping():
        deleted = await db.run_write(
            lambda conn: delete_oldest(conn, before=before, limit=PURGE_CHUNK)
        )
        entries += deleted
        chunks += 1
        if deleted < PURGE_CHUNK:
            break
    return Purged(entries, chunks)


def newest_entries(
    conn: Transaction,
    *,
    since: datetime,
    limit: int,
    campaign_id: int | None = None,
    operation_id: str | None = None,
    status: int | None = None,
    order_id: int | None = None,
    after: tuple[datetime, int] | None = None,
) -> list[LoggedRequest]:
    """Up to ``limit`` entries that arrived at or after ``since``, newest first (by time, then
    id); of one campaign if ``campaign_id``, one operation if ``operation_id``, answered with
    one HTTP status if ``status``, on one order if ``order_id``; only those after ``after`` (a
    time and an id) in that order."""
    query = select(query_log).where(_t.at >= since)
    if campaign_id is not None:
        query = query.where(_t.campaign_id == campaign_id)
    if order_id is not None:
        query = query.where(_t.order_id == order_id)
    if operation_id is not None:
        query = query.where(_t.operation_id == operation_id)
    if status is not None:
        query = query.where(_t.status == status)
    if after is not None:
        query = query.where(*older_than(_t.at, _t.id, after))
    rows = conn.execute(query.order_by(_t.at.desc(), _t.id.desc()).limit(limit))
    return [_logged(row) for row in rows]


@dataclass(frozen=True, slots=True)
class LoggedCall:
    """A logged call in brief: when it came, what it called, how it was answered."""

    at: datetime
    operation_id: str
    status: int


def newest_calls_to_paths(
    conn: Transaction,
    *,
    campaign_id: int,
    operation_ids: Sequence[str],
    paths: Sequence[str],
    since: datetime,
    limit: int,
) -> list[LoggedCall]:
    """The newest ``limit`` calls of the campaign to one of ``operation_ids`` on one of
    ``paths`` (as the caller spelled them) that arrived at or after ``since``, oldest first.
    The campaign's index yields the campaign's calls newest first; the rest is a filter."""
    query = (
        select(_t.at, _t.operation_id, _t.status)
        .where(
            _t.campaign_id == campaign_id,
            _t.at >= since,
            _t.operation_id.in_(operation_ids),
            _t.path.in_(paths),
        )
        .order_by(_t.at.desc(), _t.id.desc())
        .limit(limit)
    )
    calls = [LoggedCall(row.at, row.operation_id, row.status) for row in conn.execute(query)]
    calls.reverse()
    return calls


def refuses_a_row(exc: BaseException) -> bool:
    """Whether the database (or its driver) refused what a row holds, rather than being out of
    reach: a DB-API ``DataError`` or ``IntegrityError``, or a value the driver cannot convert."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, ValueError | TypeError | OverflowError):
        return True
    return any(cls.__name__ in {"DataError", "IntegrityError"} for cls in type(exc).__mro__)


def _logged(row: Row[tuple[object, ...]]) -> LoggedRequest:
    injected = None
    if row.fault_rule_id is not None and row.fault is not None:
        injected = InjectedFault(rule_id=row.fault_rule_id, fault=FaultKind(row.fault))
    return LoggedRequest(
        injected_fault=injected,
        id=row.id,
        time=row.at,
        method=row.method,
        path=row.path,
        query=row.query,
        status=row.status,
        operation_id=row.operation_id,
        campaign_id=row.campaign_id,
        business_id=row.business_id,
        order_id=row.order_id,
        request=LoggedMessage(
            headers=row.request_headers,
            body=row.request_body,
            body_size=row.request_size,
            body_truncated=row.request_truncated,
        ),
        response=LoggedMessage(
            headers=row.response_headers,
            body=row.response_body,
            body_size=row.response_size,
            body_truncated=row.response_truncated,
        ),
    )
