"""The database: one engine, and the unit of work every caller goes through.

A unit of work is ``work(conn)`` run in one transaction: ``run_read`` (a consistent snapshot) or
``run_write`` (committed when ``work`` returns, rolled back if it raises; the caller learns the
result only once it is committed). The synchronous ``read()`` and ``write()`` are the same
transactions for code that is not on the event loop (migrations, the command line).
Repositories (the other modules of this package) are the only code that runs SQL, always
written as SQLAlchemy Core statements with bound parameters (the write methods' own statements
run on the driver's cursor: ``driver_statements.py``).

Where the work runs:

- By default, in a worker thread. On SQLite all writes of the process queue on one writer thread
  of their own, in the order asked, so they never poll for the lock.
- ``short=True`` promises work bounded by construction: a few statements on the rows of one
  order (the Partner API methods), or one batch of the query log (at most its ``BATCH`` rows and
  ``BATCH_BODIES`` of bodies, a few ms). On SQLite such work runs on the event loop itself,
  where a hand-off to a thread would cost more CPU than the work: reads on a connection of their
  own, writes committed together (``_LoopWriter``). On PostgreSQL a short read of one statement
  runs without BEGIN and COMMIT (its statement is its snapshot), saving two round trips.

Anything that can touch many rows (purges, resets, imports) is not short: it runs in a thread,
in chunks, so that it never holds the loop or the writer for long.

SQLite (the default) runs in WAL mode with a busy timeout, and write transactions start with
``BEGIN IMMEDIATE`` so that concurrent writers wait for the lock instead of failing half-way.
PostgreSQL (``postgresql://`` URLs, psycopg 3) runs at READ COMMITTED; writers that must be
serialised on one row lock it with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol, TypeAlias, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from dbskit.database.values import json_text
from dbskit.extras import require_extra

T = TypeVar("T")

# What repositories take: the connection of the unit of work's open transaction.
Transaction: TypeAlias = Connection

SQLITE_BUSY_TIMEOUT_MS = 10_000
# SQLite reads that do not fit on the event loop run in this many threads. Its driver lets go of
# the GIL around every row it steps to and takes it back for the row's values, so each worker
# thread competes with the loop for the GIL once per row: at 16 concurrent pages of 50 orders,
# 20 threads cost twice the CPU per page of 2 and tripled the p99 (docs/decisions.md, Storage).
SQLITE_READ_THREADS = 2
# The loop's writes leave the WAL to a background checkpoint after this many commits (SQLite's own
# automatic checkpoint is every 1,000 pages, which a few hundred short writes fill).
CHECKPOINT_EVERY_COMMITS = 200
_WRITE = "dbskit_write"
_SAVEPOINT = "dbskit_write"  # each of the loop's writes in a batch
AUTOCOMMIT = "AUTOCOMMIT"  # SQLAlchemy's isolation level of a connection without transactions


class UnitsOfWork(Protocol):
    """What a service needs of its database: units of work. ``Database`` is one; the store's job
    thread has another (``shop/loop_writes.py``)."""

    async def run_read(self, work: Callable[[Transaction], T], *, short: bool = False) -> T: ...

    async def run_write(self, work: Callable[[Transaction], T], *, short: bool = False) -> T: ...


class Database:
    def __init__(
        self, url: str, *, pool_size: int = 10, echo: bool = False, synchronous: str = "NORMAL"
    ) -> None:
        """``synchronous``: SQLite's PRAGMA synchronous, NORMAL or FULL (``docs/decisions.md``,
        Durability)."""
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
            _configure_sqlite(self.engine, synchronous=_SYNCHRONOUS[synchronous.upper()])
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
        # PostgreSQL: as many worker threads as connections (a thread more would only wait for
        # the pool); they mostly wait for the server.
        self._thread_count = SQLITE_READ_THREADS if self.is_sqlite else 2 * pool_size
        self._threads: ThreadPoolExecutor | None = None
        # SQLite has one writer at a time. Its writes get one thread of their own, so they queue
        # in order here instead of polling for the lock: SQLite's busy handler sleeps between
        # attempts (up to 100 ms a time), which would turn a busy minute into seconds of tail.
        # Writers in other processes still meet the busy timeout.
        self._writer: ThreadPoolExecutor | None = None
        self._loop_reader = _LoopReader(self.engine) if self.is_sqlite else None
        # With FULL every COMMIT waits for the disk: not on the loop, then.
        on_loop = self.is_sqlite and synchronous.upper() == "NORMAL"
        self._loop_writer = _LoopWriter(self.engine) if on_loop else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Transaction]:
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
    def write(self) -> Iterator[Transaction]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self.engine.connect().execution_options(**{_WRITE: True}) as conn, conn.begin():
            yield conn

    async def run_read(self, work: Callable[[Transaction], T], *, short: bool = False) -> T:
        """``work`` in a read transaction. ``short``: one statement on one order's rows (see the
        module's docstring); it must return a value nobody modifies."""
        if short:
            if self._loop_reader is not None:
                found = self._loop_reader.try_read(work)
                if not isinstance(found, _Unavailable):
                    return found
            else:
                return await self._in_thread(self._in_statement, work)
        return await self._in_thread(self._in_read, work)

    async def run_write(self, work: Callable[[Transaction], T], *, short: bool = False) -> T:
        """``work`` in a write transaction: committed when it returns, rolled back if it raises.
        ``short``: a few statements on one order's rows (see the module's docstring)."""
        if not self.is_sqlite:
            return await self._in_thread(self._in_write, work)
        if short and self._loop_writer is not None:
            done = await self._loop_writer.run(work)
            if not isinstance(done, _Unavailable):
                return done
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="dbskit-db-writer")
        return await self._in_executor(self._writer, self._in_write, work)

    async def open_loop_connections(self) -> None:
        """Open the event loop's own connections now (SQLite; in a thread), so that the first
        short calls run on the loop rather than in a thread while they open."""
        for opener in (self._loop_reader, self._loop_writer):
            if opener is not None:
                await opener.connection.opened()

    def data_version(self) -> int | None:
        """A number that changes whenever anything commits to the database, whichever connection
        or process; None where there is none (PostgreSQL) or it cannot be read at once."""
        if self._loop_reader is None:
            return None
        found = self._loop_reader.try_read(_data_version)
        return None if isinstance(found, _Unavailable) else found

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

    def _in_read(self, work: Callable[[Transaction], T]) -> T:
        with self.read() as conn:
            return work(conn)

    def _in_statement(self, work: Callable[[Transaction], T]) -> T:
        # One statement is its own snapshot: no BEGIN and COMMIT (PostgreSQL).
        with self.engine.connect().execution_options(isolation_level=AUTOCOMMIT) as conn:
            return work(conn)

    def _in_write(self, work: Callable[[Transaction], T]) -> T:
        with self.write() as conn:
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


def _data_version(conn: Transaction) -> int:
    # SQLite's own counter: it changes when another connection commits, and the loop reader's
    # connection, which reads it, never writes. Asked on every getOrder, on the driver's
    # connection: through SQLAlchemy it cost 19 µs, a third of a kept answer's whole path.
    driver = conn.connection.dbapi_connection
    assert driver is not None
    (version,) = driver.execute("PRAGMA data_version").fetchone()
    return int(version)


class _Unavailable:
    """The work cannot run on the event loop now: the caller runs it in a thread instead."""


_UNAVAILABLE = _Unavailable()


class _LoopReader:
    """Short SQLite reads on the event loop itself.

    Handing a read of some tens of microseconds to a worker thread costs more CPU than the read
    (and on a busy loop the thread then waits for the GIL). In WAL mode a reader does not wait for
    writers. The one connection used here has no busy timeout, so in the rare cases where a read
    would have to wait for a lock (another process holding the database exclusively, recovering
    the WAL after a crash) it fails at once and the caller runs it in a worker thread instead.
    What stays on the loop is the statement's CPU time and, at worst, page reads from the disk.
    """

    def __init__(self, engine: Engine) -> None:
        self.connection = _OpenedOffTheLoop(
            # One statement is its own snapshot: no BEGIN and COMMIT around it.
            lambda: _loop_connection(engine, writes=False).execution_options(
                isolation_level=AUTOCOMMIT
            )
        )
        self._busy = threading.Lock()  # one read at a time, whichever thread calls

    def try_read(self, work: Callable[[Transaction], T]) -> T | _Unavailable:
        """``work(conn)``, one statement, or ``_UNAVAILABLE`` when the database is locked."""
        if not self._busy.acquire(blocking=False):
            return _UNAVAILABLE
        try:
            conn = self.connection.get()
            if conn is None:
                return _UNAVAILABLE
            return work(conn)
        except OperationalError as error:
            if _is_lock_error(error.orig):
                return _UNAVAILABLE
            raise
        finally:
            self._busy.release()

    def close(self) -> None:
        with self._busy:
            self.connection.close()


class _OpenedOffTheLoop:
    """A connection of the loop's own, opened in a thread: opening one runs the engine's first
    PRAGMAs, which wait for a lock another process may hold, and the loop must not wait. Until it
    is open (or while opening fails) the loop's work goes to a thread."""

    def __init__(self, open_connection: Callable[[], Connection]) -> None:
        self._open_connection = open_connection
        self._opening: Future[Connection] | None = None
        self._opener: ThreadPoolExecutor | None = None

    async def opened(self) -> None:
        """Wait until the connection is open (or opening failed: the next ``get`` tries again)."""
        if self.get() is None and self._opening is not None:
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(self._opening)

    def get(self) -> Connection | None:
        opening = self._opening
        if opening is not None and opening.done() and opening.exception() is None:
            return opening.result()
        if opening is None or opening.done():  # not asked yet, or failed: (again) in a thread
            if self._opener is None:
                self._opener = ThreadPoolExecutor(1, thread_name_prefix="dbskit-db-open")
            self._opening = self._opener.submit(self._open_connection)
        return None

    def close(self) -> None:
        opening, self._opening = self._opening, None
        if self._opener is not None:
            self._opener.shutdown(wait=True)
            self._opener = None
        if opening is not None and opening.exception() is None:
            conn = opening.result()
            # Its settings are the loop's own: it is closed rather than returned to the pool.
            conn.invalidate()
            conn.close()


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

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.connection = _OpenedOffTheLoop(
            lambda: _loop_connection(engine, writes=True, pragmas=("wal_autocheckpoint=0",))
        )
        self._queue: list[tuple[Callable[[Connection], Any], asyncio.Future[Any]]] = []
        self._commits = 0
        self._checkpoints: ThreadPoolExecutor | None = None
        self._checkpointer: Connection | None = None  # used by the checkpoint thread only
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
        conn = self.connection.get()
        if conn is None:  # being opened: the writer thread commits these
            self._settle([(future, _UNAVAILABLE, None) for _, future in batch])
            return
        try:
            transaction = conn.begin()
        except Exception as error:
            conn.rollback()  # left with no transaction open
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

    @staticmethod
    def _each_in_savepoint(
        conn: Connection, batch: list[tuple[Callable[[Connection], Any], asyncio.Future[Any]]]
    ) -> list[tuple[asyncio.Future[Any], Any, BaseException | None]]:
        # The savepoints go to the driver's connection, as the BEGIN does: through SQLAlchemy
        # (``begin_nested``) each costs a statement's execution and a compilation, and with two
        # per call they cost more than a delivery/track call's own statements.
        driver = conn.connection.dbapi_connection
        assert driver is not None
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        for work, future in batch:
            driver.execute(f"SAVEPOINT {_SAVEPOINT}")
            try:
                value = work(conn)
            except Exception as error:
                driver.execute(f"ROLLBACK TO {_SAVEPOINT}")
                driver.execute(f"RELEASE {_SAVEPOINT}")
                outcomes.append((future, None, error))
                continue
            driver.execute(f"RELEASE {_SAVEPOINT}")
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
        # connection is kept: the loop's writes must not wait for the pool.
        with contextlib.suppress(Exception):
            if self._checkpointer is None:
                self._checkpointer = _loop_connection(self._engine, writes=False)
            self._checkpointer.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.shutdown(wait=True)
            self._checkpoints = None
        if self._checkpointer is not None:
            self._checkpointer.invalidate()
            self._checkpointer.close()
            self._checkpointer = None
        held = self._checkpoint_phase is _FINISHING
        self._checkpoint_phase = None
        if held:
            self._commit_queued()  # the writes held back for the checkpoint
        self.connection.close()


def _loop_connection(engine: Engine, *, writes: bool, pragmas: tuple[str, ...] = ()) -> Connection:
    """A connection kept by the loop's reader, writer or checkpointer, without a busy timeout:
    a locked database is reported at once. Its settings are its own: it is invalidated rather
    than returned to the pool."""
    conn = engine.connect()
    try:
        for pragma in ("busy_timeout=0", *pragmas):
            conn.exec_driver_sql(f"PRAGMA {pragma}")
        conn.commit()  # a read transaction (BEGIN, not BEGIN IMMEDIATE): it takes no lock
    except BaseException:
        conn.invalidate()
        conn.close()
        raise
    return conn.execution_options(**{_WRITE: True}) if writes else conn


def _soon_unless_closed(loop: asyncio.AbstractEventLoop, callback: Callable[[], Any]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nothing waits any more
        loop.call_soon_threadsafe(callback)


def _is_lock_error(error: BaseException | None) -> bool:
    return (
        isinstance(error, sqlite3.OperationalError)
        and error.sqlite_errorcode & 0xFF in _SQLITE_LOCK_ERRORS
    )


_SQLITE_LOCK_ERRORS = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)


# The PRAGMA's values, by name: what reaches the PRAGMA is never the caller's text.
_SYNCHRONOUS = {"NORMAL": "NORMAL", "FULL": "FULL"}


def _configure_sqlite(engine: Engine, *, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # The driver runs in autocommit mode; the transaction is ours to open (SQLAlchemy's
        # recipe for pysqlite), and a writer takes the lock up front so that it never fails on
        # upgrading a read lock.
        options = conn.get_execution_options()
        if options.get("isolation_level") == AUTOCOMMIT:
            return  # each statement its own transaction
        # On the driver's connection: through SQLAlchemy's execution path the BEGIN alone cost a
        # third of an empty transaction (10 of 33 µs).
        conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if options.get(_WRITE, False) else "BEGIN"
        )
