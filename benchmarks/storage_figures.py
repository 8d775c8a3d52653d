"""Figures of the SQLite storage that the tests check only as behaviour.

``python -m benchmarks.storage_figures [--commits 6000]``

- ``upgrade at head``: what start-up pays to find the schema current (median of 20);
- ``WAL under continuous writes``: the largest size the write-ahead log reached while the loop
  committed one short write after another, with the real checkpoint threads, and how often
  SQLite started it again; without the restarts it would hold one frame per commit;
- ``loop gap during a locked read``: the longest pause of the event loop while a read waited
  for a database another connection had locked exclusively (the read goes to a thread).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from dbskit.storage import migrations
from dbskit.storage.db import Database
from dbskit.storage.orders import ORDER_TREE, order_params, orders_from_rows
from dbskit.storage.tables import sandbox_clock

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
            lambda conn: conn.execute(sa.insert(sandbox_clock).values(id=1, offset_us=0))
        )
        restarts_before = _restarts(wal)
        for value in range(commits):

            def bump(conn: sa.Connection, value: int = value) -> None:
                conn.execute(sa.update(sandbox_clock).values(offset_us=value))

            await database.run_write(bump)
        return wal.stat().st_size // _FRAME, _restarts(wal) - restarts_before
    finally:
        database.dispose()


async def loop_gap_during_locked_read_ms(folder: Path) -> float:
    database = _database(folder)
    database.dispose()
    holder = sqlite3.connect(folder / "bench.sqlite3", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    params = order_params(campaign_id=1, order_id=1)
    read = asyncio.create_task(database.run_select(ORDER_TREE, params, orders_from_rows))
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


if __name__ == "__main__":
    main()
