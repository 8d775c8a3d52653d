"""Figures of the SQLite storage that the tests check only as behaviour.

``python -m benchmarks.storage_figures [--commits 6000]``

- ``upgrade at head``: what start-up pays to find the schema current (median of 20);
- ``WAL under continuous writes``: the largest size the write-ahead log reached while the loop
  committed one short write after another, with the real checkpoint threads, and how often
  SQLite started it again; without the restarts it would hold one frame per commit;
- ``loop gap during a locked read``: the longest pause of the event loop while a read waited
  for a database another connection had locked exclusively (the read goes to a thread);
- ``query-log insert``: CPU per entry of writing batches of ``BATCH`` query-log entries, as
  ``storage.query_log`` does (columns without types: no bind processing) and through
  ``insert(query_log)`` with its datetime, JSON and boolean processing;
- ``loop lag during a purge``: how late a task that sleeps 1 ms at a time wakes up while the query
  log's purge deletes ``PURGE_ENTRIES`` entries in chunks (p50, p99, max), with the purge's total
  time, its chunks and the longest DELETE (what other writes may wait for on the writer thread).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydantic_core import from_json

from dbskit.database.db import Database
from dbskit.database.values import from_micros, to_micros
from dbskit.market.storage import migrations
from dbskit.market.storage.orders import read_order
from dbskit.market.storage.query_log import QueryLogEntry, insert_entries, purge
from dbskit.market.storage.tables import query_log, sandbox_clock

_FRAME = 24 + 4096  # a WAL frame: its header and one page


def _database(folder: Path) -> Database:
    database = Database(f"sqlite:///{folder / 'bench.sqlite3'}")
    migrations.upgrade(database)
    return database


def upgrade_at_head_ms(folder: Path) -> float:
    database = _database(folder)
    try:
        times = []
        for _ in range(20):
            started = time.perf_counter()
            migrations.upgrade(database)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)
    finally:
        database.dispose()


async def wal_under_writes(folder: Path, commits: int) -> tuple[int, int]:
    """(largest WAL size in frames, restarts) over ``commits`` loop writes."""
    database = _database(folder)
    wal = folder / "bench.sqlite3-wal"
    with contextlib.closing(sqlite3.connect(folder / "bench.sqlite3")) as driver:
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        await database.run_write(
            lambda conn: conn.execute(sa.insert(sandbox_clock).values(id=1, offset_us=0)),
            short=True,
        )
        restarts_before = _restarts(wal)
        for value in range(commits):

            def bump(conn: sa.Connection, value: int = value) -> None:
                conn.execute(sa.update(sandbox_clock).values(offset_us=value))

            await database.run_write(bump, short=True)
        return wal.stat().st_size // _FRAME, _restarts(wal) - restarts_before
    finally:
        database.dispose()


async def loop_gap_during_locked_read_ms(folder: Path) -> float:
    database = _database(folder)
    database.dispose()
    holder = sqlite3.connect(folder / "bench.sqlite3", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    read = asyncio.create_task(read_order(database, campaign_id=1, order_id=1))
    longest, last = 0.0, time.perf_counter()
    for _ in range(50):
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        longest, last = max(longest, now - last - 0.01), now
    holder.execute("COMMIT")
    holder.close()
    await read
    database.dispose()
    return longest * 1000


BATCH = 500  # entries per insert, as the query-log writer's batches
INSERT_BATCHES = 40
PURGE_ENTRIES = 200_000
LAG_TICK_S = 0.001  # the sleep of the task that measures the loop's lag
_OLD = datetime(2030, 3, 1, tzinfo=UTC)


def _entry(at_us: int) -> QueryLogEntry:
    """A typical logged call (a digital-goods delivery), as the writer builds it."""
    return {
        "at": at_us,
        "method": "POST",
        "path": "/v2/campaigns/21000001/orders/9/deliverDigitalGoods",
        "query": "trace=1",
        "status": 200,
        "operation_id": "provideOrderDigitalCodes",
        "campaign_id": 21_000_001,
        "business_id": 10_000_001,
        "request_headers": (
            '{"host":"dbskit.test","accept":"*/*","user-agent":"python-httpx/0.28.1",'
            '"api-key":"***","content-type":"application/json","content-length":"38"}'
        ),
        "request_body": '{"items":[{"id":1,"codes":["KEY-1"]}]}',
        "request_size": 38,
        "request_truncated": False,
        "response_headers": (
            '{"content-length":"15","content-type":"application/json",'
            '"x-ratelimit-resource-limit":"100000","x-ratelimit-resource-remaining":"99999"}'
        ),
        "response_body": '{"status":"OK"}',
        "response_size": 15,
        "response_truncated": False,
    }


def _typed(entry: QueryLogEntry) -> dict[str, Any]:
    """The entry as ``insert(query_log)`` takes it: a datetime and dicts, for its processors."""
    return {
        **entry,
        "at": from_micros(entry["at"]),
        "request_headers": from_json(entry["request_headers"]),
        "response_headers": from_json(entry["response_headers"]),
    }


def insert_cpu_us_per_entry(folder: Path) -> tuple[float, float]:
    """(as storage.query_log inserts, through insert(query_log)): median CPU µs per entry of the
    insert alone, each given the values it takes."""
    database = _database(folder)
    typed_insert = sa.insert(query_log)
    at = to_micros(_OLD)

    def as_stored(conn: sa.Connection, batch: list[Any]) -> None:
        insert_entries(conn, batch)

    def as_typed(conn: sa.Connection, batch: list[Any]) -> None:
        conn.execute(typed_insert, batch)

    try:
        costs: dict[str, list[float]] = {"stored": [], "typed": []}
        for _ in range(INSERT_BATCHES):
            entries = [_entry(at + n) for n in range(BATCH)]
            for name, write, batch in (
                ("stored", as_stored, entries),
                ("typed", as_typed, [_typed(entry) for entry in entries]),
            ):
                with database.write() as conn:
                    started = time.process_time()
                    write(conn, batch)
                    costs[name].append((time.process_time() - started) / BATCH * 1e6)
        return statistics.median(costs["stored"]), statistics.median(costs["typed"])
    finally:
        database.dispose()


async def loop_lag_during_purge(folder: Path) -> dict[str, float]:
    """The loop's lag (ms) while the query log's purge deletes ``PURGE_ENTRIES`` entries."""
    database = _database(folder)
    at = to_micros(_OLD)
    with database.write() as conn:
        insert_entries(conn, [_entry(at + n) for n in range(PURGE_ENTRIES)])
    deletes: list[float] = []
    _time_deletes(database.engine, deletes)
    lags: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(LAG_TICK_S)
            lags.append(time.perf_counter() - started - LAG_TICK_S)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)  # the ticker's first wake-ups before the purge
    lags.clear()
    try:
        started = time.perf_counter()
        purged = await purge(database, before=_OLD + timedelta(days=1))
        total = time.perf_counter() - started
    finally:
        done.set()
        await ticker
        database.dispose()
    lags.sort()
    return {
        "p50": lags[len(lags) // 2] * 1000,
        "p99": lags[int(len(lags) * 0.99)] * 1000,
        "max": lags[-1] * 1000,
        "total": total * 1000,
        "chunks": purged.chunks,
        "entries": purged.entries,
        "delete max": max(deletes) * 1000,
        "delete p50": statistics.median(deletes) * 1000,
    }


def _time_deletes(engine: sa.Engine, into: list[float]) -> None:
    """Record how long each DELETE takes in the thread that runs it."""
    started: dict[int, float] = {}

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("DELETE"):
            started[threading.get_ident()] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("DELETE"):
            into.append(time.perf_counter() - started.pop(threading.get_ident()))


def _restarts(wal: Path) -> int:
    with wal.open("rb") as file:
        return int.from_bytes(file.read(16)[12:16], "big")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.storage_figures")
    parser.add_argument("--commits", type=int, default=6000, help="loop writes (6000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as first:
        print(f"upgrade at head                {upgrade_at_head_ms(Path(first)):8.2f} ms")
    with tempfile.TemporaryDirectory() as second:
        frames, restarts = asyncio.run(wal_under_writes(Path(second), args.commits))
        print(
            f"WAL under {args.commits} writes       {frames:8d} frames at most, "
            f"{restarts} restarts (unbounded: {args.commits} frames)"
        )
    with tempfile.TemporaryDirectory() as third:
        gap = asyncio.run(loop_gap_during_locked_read_ms(Path(third)))
        print(f"loop gap during a locked read  {gap:8.2f} ms beyond the 10 ms sleeps")
    with tempfile.TemporaryDirectory() as fourth:
        stored, typed = insert_cpu_us_per_entry(Path(fourth))
        print(
            f"query-log insert               {stored:8.2f} µs CPU per entry "
            f"(insert(query_log) with its types: {typed:.2f})"
        )
    with tempfile.TemporaryDirectory() as fifth:
        lag = asyncio.run(loop_lag_during_purge(Path(fifth)))
        print(
            f"loop lag during a purge        {lag['p50']:8.2f} ms p50, {lag['p99']:.2f} ms p99, "
            f"{lag['max']:.2f} ms max; {lag['entries']:.0f} entries in {lag['total']:.0f} ms, "
            f"{lag['chunks']:.0f} chunks, DELETE p50 {lag['delete p50']:.1f} ms, "
            f"max {lag['delete max']:.1f} ms"
        )


if __name__ == "__main__":
    main()
