"""PostgreSQL write transactions in as few round trips as their reads allow.

A round trip to PostgreSQL costs the client some tens of microseconds of CPU (the driver and its
system calls) and, from a worker thread, hands the GIL to the event loop and back. A Partner API
write used one for each of BEGIN, the locking select, each INSERT or UPDATE, and COMMIT.

Here the statements whose results nobody reads (``PreparedWrite``'s INSERT, UPDATE and DELETE) are
held in the transaction and sent with the next statement that is read, or with the COMMIT; BEGIN
goes with the first. A write method then takes two round trips: BEGIN with its locking select,
then its writes with COMMIT. A call refused before its first read sends nothing at all.

Held statements are bound by the driver (psycopg's ``ClientCursor`` quotes each value for the
connection) and sent together as one query. PostgreSQL runs them in order and stops at the first
error, which is raised then; the transaction is rolled back as with any other error. Statements
run through SQLAlchemy (``Connection.execute``) send what is held first, so every statement runs
in the order it was given.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine

if TYPE_CHECKING:  # the driver is imported where PostgreSQL is used: it is an optional extra
    import psycopg

# The connection of the transaction open in this thread, and what it holds. A context variable
# rather than the connection's info: every statement asks, and on SQLite the answer is always no.
_HELD: ContextVar[tuple[Connection, HeldWrites] | None] = ContextVar("dbskit_held", default=None)


class HeldWrites:
    """The statements of one transaction not sent yet; a cursor for ``PreparedSelect``."""

    def __init__(self, driver: psycopg.Connection[Any]) -> None:
        import psycopg

        self._cursor = psycopg.ClientCursor(driver)
        self._held: list[str] = ["BEGIN"]
        self._begun = False  # BEGIN has been sent

    def hold(self, statement: str, parameters: Mapping[str, Any] | Sequence[Any]) -> None:
        self._held.append(self._cursor.mogrify(_for_literals(statement), parameters))

    def execute(self, statement: str, parameters: Mapping[str, Any] | Sequence[Any], /) -> None:
        """Send what is held and this statement, whose rows ``fetchall`` then returns."""
        self.hold(statement, parameters)
        self._send()
        while self._cursor.nextset():  # the results of the held statements come first
            pass

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._cursor.fetchall()

    def send(self) -> None:
        """Send what is held (before a statement that does not go through here)."""
        if self._held:
            self._send()

    def commit(self) -> None:
        if not self._begun and self._held == ["BEGIN"]:
            return  # nothing ran: there is nothing to commit
        self._held.append("COMMIT")
        self._send()

    def rollback(self) -> None:
        self._held = []
        if self._begun:
            self._cursor.execute("ROLLBACK")

    def _send(self) -> None:
        text, self._held = ";\n".join(self._held), []
        self._begun = True
        self._cursor.execute(text)  # the values are literals already, quoted by mogrify


# A parameter SQLAlchemy casts (``%(order_id)s::BIGINT``, psycopg's dialect renders the casts).
_CAST_PARAMETER = re.compile(r"(%(?:\([^)]+\))?s)::")


@functools.lru_cache(maxsize=1024)
def _for_literals(statement: str) -> str:
    """The statement with each cast parameter in parentheses. psycopg writes a negative number as
    ``-5``, and ``-9223372036854775808::BIGINT`` casts 9223372036854775808 before negating it,
    which overflows: ``(-9223372036854775808)::BIGINT`` does not."""
    return _CAST_PARAMETER.sub(r"(\1)::", statement)


def held_writes(conn: Connection) -> HeldWrites | None:
    """The held statements of the transaction ``conn`` runs in, if it holds them."""
    found = _HELD.get()
    return found[1] if found is not None and found[0] is conn else None


@contextmanager
def transaction_with_held_writes(conn: Connection) -> Iterator[None]:
    """A write transaction on ``conn`` (PostgreSQL) whose writes are held as described above:
    committed when the block ends, rolled back if it raises."""
    import psycopg

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    # BEGIN and COMMIT are ours to send, with the statements around them.
    driver.autocommit = True
    held = HeldWrites(driver)
    token = _HELD.set((conn, held))
    try:
        yield
        held.commit()
    except BaseException:
        with contextlib.suppress(Exception):  # the caller learns of the first error
            held.rollback()
        if driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.invalidate()  # neither committed nor rolled back: not handed out again
        raise
    finally:
        _HELD.reset(token)
        if not driver.closed:
            driver.autocommit = False


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Rows appended to ``table`` with COPY, after what the transaction holds: for a batch of
    rows a tenth of the client's CPU of an INSERT for each row (psycopg's executemany)."""
    import psycopg
    from psycopg import sql

    held = held_writes(conn)
    if held is not None:
        held.send()
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def send_held_before_each_statement(engine: Engine) -> None:
    """Statements run through SQLAlchemy on a connection that holds writes send them first."""

    @event.listens_for(engine, "before_cursor_execute")
    def _send_held(conn: Connection, *_: Any) -> None:
        held = held_writes(conn)
        if held is not None:
            held.send()
