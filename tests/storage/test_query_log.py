"""The query log's repository: entries written as the writer builds them and read back, and the
purge of a large backlog off the event loop, in chunks (R-111)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from dbskit.clock import Clock
from dbskit.database.db import Database
from dbskit.database.values import to_micros
from dbskit.market.domain.query_log import CapturedCall
from dbskit.market.query_log.writer import BATCH, BATCH_BODIES, QueryLogWriter
from dbskit.market.storage.query_log import (
    PURGE_CHUNK,
    QueryLogEntry,
    insert_entries,
    newest_entries,
)
from dbskit.market.storage.tables import query_log

OLD_ENTRIES = 200_000
NEW_ENTRIES = 3
RETENTION = timedelta(days=10)
NOW = datetime(2030, 3, 11, tzinfo=UTC)
CUTOFF = NOW - RETENTION


def entry(at: datetime, **changes: Any) -> QueryLogEntry:
    values: QueryLogEntry = {
        "at": to_micros(at),
        "method": "POST",
        "path": "/v2/campaigns/21000001/orders/9/deliverDigitalGoods",
        "query": "trace=1",
        "status": 200,
        "operation_id": "provideOrderDigitalCodes",
        "campaign_id": 21_000_001,
        "business_id": 10_000_001,
        "request_headers": '{"api-key":"***","accept":"*/*"}',
        "request_body": '{"items":[]}',
        "request_size": 12,
        "request_truncated": False,
        "response_headers": '{"content-type":"application/json"}',
        "response_body": '{"status":"OK"}',
        "response_size": 15,
        "response_truncated": True,
        "fault_rule_id": None,
        "fault": None,
        "order_id": 9,  # the order the path names
    }
    values.update(changes)  # type: ignore[typeddict-item]
    return values


def test_entries_are_read_back_newest_first_with_their_types(db: Database) -> None:
    first = datetime(2030, 3, 1, 12, tzinfo=UTC)
    with db.write() as conn:
        insert_entries(
            conn,
            [entry(first), entry(first + timedelta(seconds=1), campaign_id=None, status=404)],
        )
    with db.read() as conn:
        newer, older = newest_entries(conn, since=first, limit=10)
        assert newest_entries(conn, since=first, limit=10, campaign_id=21_000_001) == [older]
        assert newest_entries(conn, since=first, limit=10, after=(newer.time, newer.id)) == [older]
    assert (newer.time, newer.status, newer.campaign_id) == (
        first + timedelta(seconds=1),
        404,
        None,
    )
    assert older.request.headers == {"api-key": "***", "accept": "*/*"}
    assert (older.response.body_truncated, older.request.body_truncated) == (True, False)


def test_an_entry_names_every_column_but_the_id() -> None:
    columns = {column.name for column in query_log.columns} - {"id"}
    assert set(QueryLogEntry.__annotations__) == columns


@pytest.mark.rule("R-111")
async def test_a_large_purge_runs_off_the_event_loop_in_chunks(db: Database) -> None:
    fill(db, OLD_ENTRIES, first=CUTOFF - timedelta(days=1))
    with db.write() as conn:
        insert_entries(conn, [entry(CUTOFF + timedelta(seconds=n)) for n in range(NEW_ENTRIES)])
    writer = QueryLogWriter(
        db=db,
        clock=Clock(wall=lambda: NOW),
        retention=RETENTION,
        flush_interval=3600,
        body_limit=1024,
    )
    with deletes_recorded(db) as deletes:
        purged = await writer.purge_if_due()
    loop_thread = threading.get_ident()
    assert deletes and all(thread != loop_thread for thread, _ in deletes)
    assert max(rows for _, rows in deletes) <= PURGE_CHUNK
    assert len(deletes) >= OLD_ENTRIES / PURGE_CHUNK
    assert purged is not None
    assert (purged.entries, purged.chunks) == (OLD_ENTRIES, len(deletes))
    assert remaining(db) == (0, NEW_ENTRIES)


def fill(db: Database, count: int, *, first: datetime) -> None:
    """``count`` entries one microsecond apart from ``first``, made by the database itself (a
    recursive CTE) in one statement."""
    numbers = sa.select(sa.literal(0, sa.BigInteger).label("n")).cte("numbers", recursive=True)
    numbers = numbers.union_all(sa.select(numbers.c.n + 1).where(numbers.c.n < count - 1))
    template = entry(first)
    values = [
        (sa.literal(template["at"], sa.BigInteger) + numbers.c.n)
        if column.name == "at"
        else sa.literal(template[column.name], column.type)  # type: ignore[literal-required]
        for column in query_log.columns
        if column.name != "id"
    ]
    names = [column.name for column in query_log.columns if column.name != "id"]
    with db.write() as conn:
        conn.execute(sa.insert(query_log).from_select(names, sa.select(*values)))


@contextmanager
def deletes_recorded(db: Database) -> Iterator[list[tuple[int, int]]]:
    """(thread, rows deleted) of every DELETE run on ``db`` in the block."""
    deletes: list[tuple[int, int]] = []

    def record(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append((threading.get_ident(), cursor.rowcount))

    sa.event.listen(db.engine, "after_cursor_execute", record)
    try:
        yield deletes
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", record)


def remaining(db: Database) -> tuple[int, int]:
    """(entries older than the cut-off, entries at or after it)."""
    older = sa.func.count().filter(query_log.c.at < CUTOFF)
    newer = sa.func.count().filter(query_log.c.at >= CUTOFF)
    with db.read() as conn:
        counts = conn.execute(sa.select(older, newer)).one()
    return int(counts[0]), int(counts[1])


def _writer(
    db: Database, *, flush_interval: float = 3600, body_limit: int = 1024
) -> QueryLogWriter:
    return QueryLogWriter(
        db=db,
        clock=Clock(wall=lambda: NOW),
        retention=RETENTION,
        flush_interval=flush_interval,
        body_limit=body_limit,
    )


def _call(number: int, body: bytes = b"") -> CapturedCall:
    return CapturedCall(
        at=NOW,
        method="GET",
        path=f"/v2/n/{number}",
        query=b"",
        request_headers=[],
        request_chunks=[],
        status=200 if body else 404,
        response_chunks=[body] if body else None,
        response_size=len(body),
    )


@contextmanager
def batch_sizes(db: Database) -> Iterator[list[int]]:
    """The rows of each INSERT into the query log, as they are written."""
    inserts: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO query_log"):
            inserts.append(len(parameters) if isinstance(parameters, list) else 1)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield inserts
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.decision("Query log")
async def test_a_backlog_is_written_a_batch_at_a_time(db: Database) -> None:
    """Calls buffered while the database was out of reach go in batches of at most ``BATCH``
    rows, each a short write of its own: none holds the event loop or the writer for long."""
    writer = _writer(db)
    backlog = 2 * BATCH + 7
    for number in range(backlog):
        writer.record(_call(number))
    with batch_sizes(db) as inserts:
        assert await writer.flush() == backlog
    assert inserts == [BATCH, BATCH, 7]
    assert remaining(db) == (0, backlog)


@pytest.mark.decision("Query log")
async def test_large_bodies_are_written_a_mebibyte_at_a_time(db: Database) -> None:
    """A batch holds at most ``BATCH_BODIES`` of bodies (a page of getOrders is about 60 KB):
    each write holds the event loop a few milliseconds. A body larger than that goes alone;
    every call is written, whole."""
    page = b"x" * 60_000
    per_batch = BATCH_BODIES // len(page)  # 17
    writer = _writer(db, body_limit=4 * BATCH_BODIES)
    for number in range(2 * per_batch + 1):
        writer.record(_call(number, page))
    writer.record(_call(99, b"y" * (2 * BATCH_BODIES)))
    writer.record(_call(100, page))
    with batch_sizes(db) as inserts:
        assert await writer.flush() == 2 * per_batch + 3
    assert inserts == [per_batch, per_batch, 1, 1, 1]
    with db.read() as conn:
        sizes = conn.execute(
            sa.select(sa.func.length(query_log.c.response_body)).order_by(query_log.c.id)
        ).scalars()
        assert list(sizes) == [len(page)] * (2 * per_batch + 1) + [2 * BATCH_BODIES, len(page)]


@pytest.mark.decision("Query log")
async def test_a_mebibyte_of_bodies_is_written_before_the_interval_is_up(db: Database) -> None:
    writer = _writer(db, flush_interval=3600, body_limit=BATCH_BODIES)
    writer.start()
    try:
        calls = BATCH_BODIES // 60_000 + 1  # past BATCH_BODIES, far below BATCH
        for number in range(calls):
            writer.record(_call(number, b"x" * 60_000))
        for _ in range(3000):  # the writer wakes now, not in an hour
            if remaining(db) == (0, calls):
                break
            await asyncio.sleep(0.01)
        assert remaining(db) == (0, calls)
    finally:
        await writer.stop()
