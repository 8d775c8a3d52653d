"""The database: one engine, read and write transactions, run off the event loop.

SQLite (the default) runs in WAL mode with a busy timeout, and write transactions start with
``BEGIN IMMEDIATE`` so that concurrent writers wait for the lock instead of failing half-way.
PostgreSQL (``postgresql://`` URLs, psycopg 3) needs neither; writers that must be serialised on
one row lock it with ``SELECT ... FOR UPDATE``, and the request handlers' write transactions
send their writes with their next read or their COMMIT (``held_writes``). Single-statement
reads of the hottest methods (``run_select``) skip the transaction, and on SQLite run on the event
loop itself, as do SQLite's short write transactions (``run_write``), committed together
(``_LoopWriter``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from dbskit.extras import require_extra
from dbskit.storage.held_writes import (
    send_held_before_each_statement,
    transaction_with_held_writes,
)
from dbskit.storage.prepared import PreparedSelect
from dbskit.storage.types import json_text

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000
REMEMBERED_RESULTS = 1024  # results of the loop's reads kept while the database is unchanged
# The loop's writes leave the WAL to a background checkpoint after this many commits (SQLite's own
# automatic checkpoint is every 1,000 pages, which a few hundred short writes fill).
CHECKPOINT_EVERY_COMMITS = 200
Rows = list[list[Any]]
_WRITE = "dbskit_write"


class Database:
    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = create_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=pool_size,
                connect_args={"check_same_thread": False, "isolation_level": None},
                json_serializer=json_text,
            )
            _configure_sqlite(self.engine)
        else:
            require_extra("postgres", "a PostgreSQL database URL")
            # Every connection the worker threads may hold at once stays open: a connection
            # closed on its return (the pool's overflow) costs PostgreSQL a new backend process
            # on the next busy moment, over and over under steady load.
            self.engine = create_engine(
                url,
                echo=echo,
                pool_size=2 * pool_size,
                max_overflow=0,
                pool_pre_ping=False,
                json_serializer=json_text,
            )
            send_held_before_each_statement(self.engine)
        # As many worker threads as connections: a thread more would only wait for the pool.
        self._thread_count = 2 * pool_size
        self._threads: ThreadPoolExecutor | None = None
        # SQLite has one writer at a time. Its writes get one thread of their own, so they queue
        # in order here instead of polling for the lock: SQLite's busy handler sleeps between
        # attempts (up to 100 ms a time), which would turn a busy minute into seconds of tail.
        # Writers in other processes still meet the busy timeout.
        self._writer: ThreadPoolExecutor | None = None
        self._loop_reader = _LoopReader(self.engine) if self.is_sqlite else None
        self._loop_writer = _LoopWriter(self.engine) if self.is_sqlite else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot; takes no write lock)."""
        conn = self.engine.connect()
        if not self.is_sqlite:
            # PostgreSQL's default, READ COMMITTED, takes a new snapshot for every statement: a
            # read of several statements could see a write between them. The isolation level
            # goes with the BEGIN; it costs no round trip.
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self.engine.connect().execution_options(**{_WRITE: True}) as conn, conn.begin():
            yield conn

    async def run_read(self, work: Callable[[Connection], T]) -> T:
        return await self._in_thread(self._in_read, work)

    async def run_write(self, work: Callable[[Connection], T]) -> T:
        """``work`` in a write transaction: committed when it returns, rolled back if it raises.

        On SQLite it runs on the event loop, committed together with the other writes asked for in
        the same two turns of the loop (``_LoopWriter``), or in the writer thread while another
        connection holds the database; either way SQLite's writes of this process run one at a
        time, in the order asked. On PostgreSQL it runs in a worker thread, its writes held until
        its next read or its COMMIT.
        """
        if not self.is_sqlite:
            return await self._in_thread(self._in_write, work)
        if self._loop_writer is not None:
            done = await self._loop_writer.run(work)
            if not isinstance(done, _Unavailable):
                return done
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="dbskit-db-writer")
        return await self._in_executor(self._writer, self._in_write, work)

    def fetch(self, select: PreparedSelect, params: Mapping[str, Any]) -> Rows:
        """The rows of one select, run outside any transaction.

        A single statement sees one consistent snapshot on its own (SQLite's implicit read
        transaction, PostgreSQL's statement snapshot), so it needs no BEGIN and COMMIT: on
        PostgreSQL that saves two round trips. The connection is in autocommit mode only for
        this statement.
        """
        raw = self.engine.raw_connection()
        try:
            if not self.is_sqlite:
                raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cursor = raw.cursor()
            rows = select.rows(cursor, self.engine.dialect, params)
            cursor.close()
            if not self.is_sqlite:
                raw.driver_connection.autocommit = False  # type: ignore[union-attr]
        except BaseException:
            raw.invalidate()  # whatever state it is in, it is not handed out again
            raise
        finally:
            raw.close()
        return rows

    async def run_select(
        self, select: PreparedSelect, params: Mapping[str, Any], build: Callable[[Rows], T]
    ) -> T:
        """``build`` applied to the rows of one select (``fetch``), for a request handler.

        On SQLite it runs on the event loop and the result is remembered until the database
        changes (``_LoopReader``), so ``build`` must return a value nobody modifies; on
        PostgreSQL it runs in a worker thread.
        """
        if self._loop_reader is not None:
            found = self._loop_reader.try_select(select, params, build)
            if not isinstance(found, _Unavailable):
                return found
        return await self._in_thread(lambda: build(self.fetch(select, params)))

    async def _in_thread(self, work: Callable[..., T], *args: Any) -> T:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self._thread_count, thread_name_prefix="dbskit-db")
        return await self._in_executor(self._threads, work, *args)

    async def _in_executor(
        self, executor: ThreadPoolExecutor, work: Callable[..., T], *args: Any
    ) -> T:
        # The loop's own executor hand-off costs a third of anyio's to_thread; like to_thread,
        # the caller waits for the work to end (a transaction commits or rolls back) even when it
        # is cancelled.
        future = asyncio.get_running_loop().run_in_executor(executor, work, *args)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            await asyncio.wait([future])
            raise

    def _in_read(self, work: Callable[[Connection], T]) -> T:
        with self.read() as conn:
            return work(conn)

    def _in_write(self, work: Callable[[Connection], T]) -> T:
        if self.is_sqlite:
            with self.write() as conn:
                return work(conn)
        with self.engine.connect() as conn, transaction_with_held_writes(conn):
            return work(conn)

    def dispose(self) -> None:
        if self._loop_writer is not None:
            self._loop_writer.close()
        if self._loop_reader is not None:
            self._loop_reader.close()
        for executor in (self._threads, self._writer):
            if executor is not None:
                executor.shutdown(wait=True)
        self._threads = self._writer = None
        self.engine.dispose()


class _Unavailable:
    """The read cannot run on the event loop now: the caller runs it in a worker thread."""


_UNAVAILABLE = _Unavailable()


class _LoopReader:
    """Single-statement SQLite reads on the event loop itself, for the hottest reads.

    Handing a read of some tens of microseconds to a worker thread costs more CPU than the read
    (and on a busy loop the thread then waits for the GIL). In WAL mode a reader does not wait for
    writers. The one connection used here has no busy timeout, so in the rare cases where a read
    would have to wait for a lock (another process holding the database exclusively, recovering
    the WAL after a crash) it fails at once and the caller runs it in a worker thread instead.
    What stays on the loop is the statement's CPU time and, at worst, page reads from the disk.
    The connection is opened without touching the file (the engine's connections have already
    put the database in WAL mode; the other settings concern writes).

    Results are remembered while the database is unchanged: SQLite's ``PRAGMA data_version``
    changes whenever any other connection, of this process or another, commits, and this
    connection never writes. A remembered result is therefore exactly what the statement would
    return now, whatever wrote to the database and however.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._connection: sqlite3.Connection | None = None
        self._busy = threading.Lock()  # one statement at a time, whichever thread calls
        self._remembered: dict[tuple[Any, ...], Any] = {}
        self._remembered_version: int | None = None

    def try_select(
        self, select: PreparedSelect, params: Mapping[str, Any], build: Callable[[Rows], T]
    ) -> T | _Unavailable:
        """``build(rows)``, or ``_UNAVAILABLE`` when the read must go to a worker thread."""
        if not self._busy.acquire(blocking=False):
            return _UNAVAILABLE
        try:
            connection = self._connection or self._open()
            cursor = connection.cursor()
            try:
                return self._select(cursor, select, params, build)
            finally:
                cursor.close()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF in _SQLITE_LOCK_ERRORS:
                return _UNAVAILABLE
            raise
        finally:
            self._busy.release()

    def _select(
        self,
        cursor: sqlite3.Cursor,
        select: PreparedSelect,
        params: Mapping[str, Any],
        build: Callable[[Rows], T],
    ) -> T:
        (version,) = cursor.execute("PRAGMA data_version").fetchone()
        remembered = self._remembered
        if version != self._remembered_version or len(remembered) >= REMEMBERED_RESULTS:
            remembered.clear()
            self._remembered_version = version
        key = (select, build, *params.items())
        found: T | _Unavailable = remembered.get(key, _UNAVAILABLE)
        if isinstance(found, _Unavailable):
            found = remembered[key] = build(select.rows(cursor, self._dialect, params))
        return found

    def close(self) -> None:
        with self._busy:
            self._remembered.clear()
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _open(self) -> sqlite3.Connection:
        self._connection = _unpooled_connection(self._engine)
        return self._connection


# The two phases of the loop writer's checkpoint (``_LoopWriter``).
_COPYING = "copying"  # the WAL copied while the loop goes on writing
_FINISHING = "finishing"  # the rest copied while the loop's writes wait


class _LoopWriter:
    """Short SQLite write transactions on the event loop, committed together.

    A write of a Partner API call is a few statements on one order: handing it to a thread and
    back cost more CPU than the write itself (the hand-off, and the two threads taking the GIL
    from each other at every statement). Here the writes asked for in one turn of the loop and
    the next run one after another at the end of the second, each in a savepoint of one
    transaction, and one COMMIT makes them durable together. A write that raises is rolled back
    to its savepoint alone; the others are committed. Callers learn their result only after the
    COMMIT, so nothing is reported as done that is not committed; if the COMMIT fails, every
    write of it fails.

    The connection has no busy timeout: when another connection holds the write lock (the writer
    thread, another process) ``BEGIN IMMEDIATE`` fails at once and the writes go to the writer
    thread, which waits for the lock. Its automatic checkpoint is off, so that the loop never
    waits for a checkpoint's fsync: a checkpoint runs in a thread every
    ``CHECKPOINT_EVERY_COMMITS`` commits instead, in two passes. The first copies the WAL while
    the loop goes on committing; during the second, which copies what was committed meanwhile,
    the loop's writes wait in the queue. Without that wait the checkpoint would never reach the
    end of the WAL, SQLite could never start it again from the beginning, and it would grow
    without end under steady load, every commit appending to a longer file.
    """

    _SAVEPOINT = "dbskit_write"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._queue: list[tuple[Callable[[Connection], Any], asyncio.Future[Any]]] = []
        self._commits = 0
        self._checkpoints: ThreadPoolExecutor | None = None
        self._checkpointer: sqlite3.Connection | None = None  # used by the checkpoint thread only
        self._checkpoint_phase: str | None = None  # None, _COPYING or _FINISHING

    async def run(self, work: Callable[[Connection], T]) -> T | _Unavailable:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T | _Unavailable] = loop.create_future()
        self._queue.append((work, future))
        if len(self._queue) == 1 and self._checkpoint_phase is not _FINISHING:
            # The COMMIT waits for the end of the next turn of the loop rather than this one:
            # the writes of the calls whose requests that turn reads join it.
            loop.call_soon(loop.call_soon, self._commit_queued)
        # A caller cancelled before its turn is skipped: its write does not start.
        return await future

    def _commit_queued(self) -> None:
        if self._checkpoint_phase is _FINISHING:
            return  # queued before the checkpoint's last pass began: committed when it ends
        batch = [(work, future) for work, future in self._queue if not future.cancelled()]
        self._queue = []
        if not batch:
            return
        try:
            conn = self._connection or self._open()
            transaction = conn.begin()
        except Exception as error:
            if self._connection is not None:
                self._connection.rollback()  # left with no transaction open
            raw = error.orig if isinstance(error, OperationalError) else error
            if _is_lock_error(raw):  # another connection writes: the writer thread waits
                self._settle([(future, _UNAVAILABLE, None) for _, future in batch])
            else:
                self._settle([(future, None, error) for _, future in batch])
            return
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            if len(batch) == 1:
                ((work, future),) = batch
                outcomes.append((future, work(conn), None))
            else:
                outcomes = self._each_in_savepoint(conn, batch)
            transaction.commit()
        except BaseException as error:
            with contextlib.suppress(Exception):  # the callers learn of ``error`` either way
                transaction.rollback()
            failed: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = [
                (future, None, error) for _, future in batch
            ]
            self._settle(failed)
            if not isinstance(error, Exception):
                raise
            return
        self._settle(outcomes)
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY_COMMITS == 0:
            self._checkpoint_in_thread()

    def _each_in_savepoint(
        self, conn: Connection, batch: list[tuple[Callable[[Connection], Any], asyncio.Future[Any]]]
    ) -> list[tuple[asyncio.Future[Any], Any, BaseException | None]]:
        driver = conn.connection.dbapi_connection
        assert driver is not None
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        for work, future in batch:
            driver.execute(f"SAVEPOINT {self._SAVEPOINT}")
            try:
                value = work(conn)
            except Exception as error:
                driver.execute(f"ROLLBACK TO {self._SAVEPOINT}")
                driver.execute(f"RELEASE {self._SAVEPOINT}")
                outcomes.append((future, None, error))
                continue
            driver.execute(f"RELEASE {self._SAVEPOINT}")
            outcomes.append((future, value, None))
        return outcomes

    @staticmethod
    def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
        for future, value, error in outcomes:
            if future.cancelled():
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

    def _checkpoint_in_thread(self) -> None:
        if self._checkpoint_phase is not None:
            return
        self._checkpoint_phase = _COPYING
        self._submit_checkpoint(self._checkpoint_copied)

    def _checkpoint_copied(self) -> None:
        if self._checkpoint_phase is not _COPYING:
            return  # closed meanwhile
        # Most of the WAL is in the database now, its fsyncs done while the loop went on writing.
        # The frames written since are few: the loop's writes wait while they are copied.
        self._checkpoint_phase = _FINISHING
        self._submit_checkpoint(self._checkpoint_done)

    def _checkpoint_done(self) -> None:
        if self._checkpoint_phase is not _FINISHING:
            return  # closed meanwhile: the held writes were committed then
        self._checkpoint_phase = None
        if self._queue:
            self._commit_queued()

    def _submit_checkpoint(self, then: Callable[[], None]) -> None:
        if self._checkpoints is None:
            self._checkpoints = ThreadPoolExecutor(1, thread_name_prefix="dbskit-db-checkpoint")
        loop = asyncio.get_running_loop()
        checkpoint = self._checkpoints.submit(self._run_checkpoint)
        checkpoint.add_done_callback(lambda _: _soon_unless_closed(loop, then))

    def _run_checkpoint(self) -> None:
        # PASSIVE never waits for readers or writers; with the loop's writes held back it copies
        # the whole WAL unless a reader still needs part of it, and the next write starts the
        # WAL again from the beginning. A failure leaves the WAL to the next checkpoint. The
        # connection is its own, not the pool's: the loop's writes must not wait for the pool.
        with contextlib.suppress(Exception):
            if self._checkpointer is None:
                self._checkpointer = _unpooled_connection(self._engine)
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _open(self) -> Connection:
        conn = self._engine.connect().execution_options(**{_WRITE: True})
        driver = conn.connection.dbapi_connection
        assert driver is not None
        driver.execute("PRAGMA busy_timeout=0")
        driver.execute("PRAGMA wal_autocheckpoint=0")
        self._connection = conn
        return conn

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.shutdown(wait=True)
            self._checkpoints = None
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        held = self._checkpoint_phase is _FINISHING
        self._checkpoint_phase = None
        if held:
            self._commit_queued()  # the writes held back for the checkpoint
        if self._connection is not None:
            # Its settings are the loop's own: it is closed rather than returned to the pool.
            self._connection.invalidate()
            self._connection.close()
            self._connection = None


def _unpooled_connection(engine: Engine) -> sqlite3.Connection:
    """A connection to the engine's SQLite file outside its pool, without a busy timeout (a
    locked database is reported at once). It does not touch the file on opening: the engine's
    connections have already put the database in WAL mode."""
    (database,), kwargs = engine.dialect.create_connect_args(engine.url)
    options: dict[str, Any] = {
        **kwargs,
        "timeout": 0,
        "isolation_level": None,
        "check_same_thread": False,
    }
    connection: sqlite3.Connection = sqlite3.connect(database, **options)
    return connection


def _soon_unless_closed(loop: asyncio.AbstractEventLoop, callback: Callable[[], Any]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nothing waits any more
        loop.call_soon_threadsafe(callback)


def _is_lock_error(error: BaseException | None) -> bool:
    return (
        isinstance(error, sqlite3.OperationalError)
        and error.sqlite_errorcode & 0xFF in _SQLITE_LOCK_ERRORS
    )


_SQLITE_LOCK_ERRORS = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # The driver runs in autocommit mode; the transaction is ours to open, and a writer
        # takes the lock up front so that it never fails on upgrading a read lock.
        # On the driver's connection: through SQLAlchemy's execution path the BEGIN alone cost
        # a third of an empty transaction (10 of 33 µs).
        writing = conn.get_execution_options().get(_WRITE, False)
        conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if writing else "BEGIN"
        )
