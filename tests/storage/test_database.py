"""The database layer on SQLite and PostgreSQL: migrations, and writers that wait for each other."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import threading
import time
from collections.abc import Awaitable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbskit.database import db as db_module
from dbskit.database.db import Database
from dbskit.market.storage import migrations
from dbskit.market.storage.tables import sandbox_clock


def test_head_constant_matches_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == migrations.HEAD


def test_upgrade_is_skipped_at_head(db: Database) -> None:
    assert migrations.current_revision(db) == migrations.HEAD
    assert migrations.upgrade(db) is False
    assert migrations.current_revision(db) == migrations.HEAD


def test_migrated_schema_matches_the_table_definitions(db: Database) -> None:
    inspector = sa.inspect(db.engine)
    for table in sandbox_clock.metadata.sorted_tables:
        assert inspector.has_table(table.name), table.name
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        assert columns == {column.name for column in table.columns}, table.name


def test_concurrent_read_modify_write_loses_nothing(db: Database) -> None:
    """Writers serialise (BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL): no lost update."""
    with db.write() as conn:
        conn.execute(sa.insert(sandbox_clock).values(id=1, offset_us=0))

    def increment() -> None:
        for _ in range(25):
            with db.write() as conn:
                query = sa.select(sandbox_clock.c.offset_us).where(sandbox_clock.c.id == 1)
                if db.dialect == "postgresql":
                    query = query.with_for_update()
                value = conn.execute(query).scalar_one()
                conn.execute(sa.update(sandbox_clock).values(offset_us=value + 1))

    threads = [threading.Thread(target=increment) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.read() as conn:
        assert conn.execute(sa.select(sandbox_clock.c.offset_us)).scalar_one() == 200


def test_a_read_transaction_sees_one_snapshot(db: Database) -> None:
    """A write committed between two statements of a read transaction is not seen by the second
    (SQLite's read transactions; on PostgreSQL, REPEATABLE READ: READ COMMITTED would not do)."""

    def rows(conn: sa.Connection) -> int:
        return int(conn.execute(sa.select(sa.func.count()).select_from(sandbox_clock)).scalar_one())

    with db.read() as conn:
        assert rows(conn) == 0
        with db.write() as other:
            other.execute(sa.insert(sandbox_clock).values(id=1, offset_us=5))
        assert rows(conn) == 0
    with db.read() as conn:
        assert rows(conn) == 1


def test_failed_write_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute(sa.insert(sandbox_clock).values(id=5, offset_us=1))
        raise RuntimeError("abort")
    with db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sandbox_clock)).scalar_one() == 0


@pytest.mark.parametrize("short", [False, True], ids=["writer-thread", "short"])
async def test_sqlite_writes_queue_on_one_thread(tmp_path: Path, short: bool) -> None:
    """SQLite writes of one process run one after another on one thread (the writer thread, or
    the event loop's for short writes), in the order asked, rather than in threads that poll for
    the write lock."""
    database = Database(f"sqlite:///{tmp_path / 'writes.sqlite3'}")
    migrations.upgrade(database)
    threads: set[int] = set()
    order: list[int] = []
    running = 0
    most = 0

    def work(_conn: sa.Connection, number: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        threads.add(threading.get_ident())
        time.sleep(0.005)
        order.append(number)
        running -= 1

    try:
        await database.open_loop_connections()
        await asyncio.gather(
            *(database.run_write(functools.partial(work, number=n), short=short) for n in range(8))
        )
    finally:
        database.dispose()
    assert (len(threads), most, order) == (1, 1, list(range(8)))


def _sqlite(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'loop.sqlite3'}")
    migrations.upgrade(database)
    return database


def _clock_ids(database: Database) -> list[int]:
    with database.read() as conn:
        return list(
            conn.execute(sa.select(sandbox_clock.c.id).order_by(sandbox_clock.c.id)).scalars()
        )


async def test_a_failed_short_write_is_undone_alone(tmp_path: Path) -> None:
    """Writes committed together: the one that raises leaves nothing, the others are committed."""
    database = _sqlite(tmp_path)

    def insert(conn: sa.Connection, row_id: int, fail: bool = False) -> int:
        conn.execute(sa.insert(sandbox_clock).values(id=row_id, offset_us=0))
        if fail:
            raise RuntimeError("refused")
        return row_id

    try:
        results = await asyncio.gather(
            database.run_write(lambda conn: insert(conn, 1), short=True),
            database.run_write(lambda conn: insert(conn, 2, fail=True), short=True),
            database.run_write(lambda conn: insert(conn, 3), short=True),
            return_exceptions=True,
        )
        assert results[0] == 1 and results[2] == 3
        assert isinstance(results[1], RuntimeError)
        assert _clock_ids(database) == [1, 3]
    finally:
        database.dispose()


async def test_short_writes_wait_in_the_writer_thread_while_another_connection_writes(
    tmp_path: Path,
) -> None:
    """The loop does not wait for the lock: while another connection holds it, the write goes to
    the writer thread, which waits for it and then commits."""
    database = _sqlite(tmp_path)
    threads: list[int] = []
    try:
        holder = database.engine.connect().execution_options(dbskit_write=True)
        holder.begin()
        holder.execute(sa.insert(sandbox_clock).values(id=1, offset_us=0))

        def insert(conn: sa.Connection) -> None:
            threads.append(threading.get_ident())
            conn.execute(sa.insert(sandbox_clock).values(id=2, offset_us=0))

        pending = asyncio.ensure_future(database.run_write(insert, short=True))
        await asyncio.sleep(0.05)
        assert not pending.done()  # waiting for the lock, not failed
        holder.commit()
        holder.close()
        await pending
        assert threads and threads[0] != threading.get_ident()
        assert _clock_ids(database) == [1, 2]
    finally:
        database.dispose()


async def test_a_short_write_cancelled_before_its_turn_does_not_run(tmp_path: Path) -> None:
    database = _sqlite(tmp_path)
    ran: list[int] = []

    def insert(conn: sa.Connection, row_id: int) -> None:
        ran.append(row_id)
        conn.execute(sa.insert(sandbox_clock).values(id=row_id, offset_us=0))

    try:
        first = asyncio.ensure_future(database.run_write(lambda conn: insert(conn, 1), short=True))
        second = asyncio.ensure_future(database.run_write(lambda conn: insert(conn, 2), short=True))
        await asyncio.sleep(0)  # both queued, the commit not yet run
        second.cancel()
        await first
        with pytest.raises(asyncio.CancelledError):
            await second
        assert (ran, _clock_ids(database)) == ([1], [1])
    finally:
        database.dispose()


async def test_the_wal_starts_again_under_continuous_short_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's writes hold back while a checkpoint copies the last of the WAL, so the
    checkpoint reaches its end and the next write starts the WAL again from the beginning: the
    file holds about one checkpoint's worth of commits however long the writes go on.

    Each pass of the checkpoint waits for the test: the first until the loop has committed
    ``DURING_FIRST_PASS`` more writes beside it, the second until a write is waiting for it. So
    every run sees the same interleaving whatever the machine's speed."""
    every = 20
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY_COMMITS", every)
    passes = _CheckpointPasses()
    monkeypatch.setattr(db_module._LoopWriter, "_run_checkpoint", lambda self: passes.run(self))
    database = _sqlite(tmp_path)
    with contextlib.closing(sqlite3.connect(tmp_path / "loop.sqlite3")) as driver:
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the migrations' frames out of the way
    wal = tmp_path / "loop.sqlite3-wal"
    commits = 3000

    def bump(value: int) -> Awaitable[None]:
        def write(conn: sa.Connection) -> None:
            conn.execute(sa.update(sandbox_clock).values(offset_us=value))

        return database.run_write(write, short=True)

    writer = database._loop_writer
    assert writer is not None
    try:
        await database.open_loop_connections()
        await database.run_write(_insert_clock_row, short=True)
        for value in range(commits):
            await bump(value)
            if (value + 1) % every or not writer._checkpoint_phase:
                continue
            await passes.reached(db_module._COPYING)
            for _ in range(DURING_FIRST_PASS):
                await bump(value)
            await passes.release(db_module._COPYING)
            held = asyncio.ensure_future(bump(value))
            await passes.reached(db_module._FINISHING)
            for _ in range(5):  # turns of the loop enough for a write to commit
                await asyncio.sleep(0)
            assert not held.done(), "a write went on while the checkpoint finished"
            await passes.release(db_module._FINISHING)
            await held
        frame = 24 + 4096
        cycle = every + DURING_FIRST_PASS + 1  # commits of one page each between two restarts
        assert wal.stat().st_size <= 2 * cycle * frame  # about 60 frames, not one per commit
        assert _wal_restarts(wal) >= commits // (cycle + every)
        with database.read() as conn:
            assert conn.execute(sa.select(sandbox_clock.c.offset_us)).scalar_one() == commits - 1
    finally:
        passes.open_all()
        database.dispose()


DURING_FIRST_PASS = 10  # commits the loop makes while the checkpoint's first pass copies


class _CheckpointPasses:
    """The loop writer's checkpoint, each pass of it held until the test lets it go."""

    def __init__(self) -> None:
        self._original = db_module._LoopWriter._run_checkpoint
        self._waiting = {phase: threading.Event() for phase in _PHASES}
        self._may_go = {phase: threading.Event() for phase in _PHASES}
        self._done = {phase: threading.Event() for phase in _PHASES}

    def run(self, writer: db_module._LoopWriter) -> None:
        phase = writer._checkpoint_phase
        assert phase in _PHASES
        self._waiting[phase].set()
        assert self._may_go[phase].wait(timeout=60), "the test never let the checkpoint go"
        self._may_go[phase].clear()
        self._original(writer)
        self._done[phase].set()

    async def reached(self, phase: str) -> None:
        await self._wait(self._waiting[phase])

    async def release(self, phase: str) -> None:
        self._may_go[phase].set()
        await self._wait(self._done[phase])

    def open_all(self) -> None:
        for event in self._may_go.values():
            event.set()

    @staticmethod
    async def _wait(event: threading.Event) -> None:
        assert await asyncio.to_thread(event.wait, 60), "the checkpoint never came"
        event.clear()


_PHASES = (db_module._COPYING, db_module._FINISHING)


def _wal_restarts(wal: Path) -> int:
    """The WAL header's checkpoint sequence number: SQLite adds one each time it starts the WAL
    again from the beginning."""
    with wal.open("rb") as file:
        header = file.read(16)
    return int.from_bytes(header[12:16], "big")


def _insert_clock_row(conn: sa.Connection) -> None:
    conn.execute(sa.insert(sandbox_clock).values(id=1, offset_us=0))


@pytest.mark.decision("Durability")
@pytest.mark.parametrize(
    ("synchronous", "pragma", "on_loop"), [("NORMAL", 1, True), ("FULL", 2, False)]
)
async def test_sqlite_synchronous_is_the_setting_and_full_keeps_commits_off_the_loop(
    tmp_path: Path, synchronous: str, pragma: int, on_loop: bool
) -> None:
    """FULL makes every COMMIT wait for the disk: short writes then commit in the writer thread,
    never on the event loop."""
    database = Database(f"sqlite:///{tmp_path / 'sync.sqlite3'}", synchronous=synchronous)
    migrations.upgrade(database)
    threads: list[int] = []

    def insert(conn: sa.Connection) -> int:
        threads.append(threading.get_ident())
        conn.execute(sa.insert(sandbox_clock).values(id=1, offset_us=0))
        return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())

    try:
        await database.open_loop_connections()
        assert await database.run_write(insert, short=True) == pragma
        assert (threads == [threading.get_ident()]) is on_loop
        assert _clock_ids(database) == [1]
    finally:
        database.dispose()
