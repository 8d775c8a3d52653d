"""The one faster path beside Core: the write methods' own statements on the driver's cursor.

A ``DriverStatement`` is written in Core, like every other statement, and compiled once per
dialect with named parameters (``:name`` for sqlite3, ``%(name)s`` for psycopg, which binds them
on the server). Its SQL then runs on the DB-API cursor, reached through SQLAlchemy's public
``Connection.connection``. What ``Connection.execute`` does on every call besides running the
statement (the compiled-cache lookup, events, a result object and its rows) cost more than the
statement itself on the hot paths: delivery/track's three statements took about 75 µs of CPU
through Core and about 15 µs here (``docs/decisions.md``, Storage).

Nothing converts values on this path: parameters reach the driver as given and rows come back
as the driver gives them. The repository functions that use it pass plain values (ids, counts,
text, booleans; times as ``types.to_micros``, JSON as ``types.json_text``, marking codes as
``types.unit_codes_text``) and read only columns that need no conversion, or convert them
themselves. A driver's error is raised as Core raises it (``sqlalchemy.exc.IntegrityError`` and
the like, naming the statement).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Delete, Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.exc import DBAPIError

from dbskit.database.db import Transaction

Row = tuple[Any, ...]
T = TypeVar("T")


class DriverStatement:
    """One Core statement, run on the driver's cursor with plain values (see the module)."""

    def __init__(self, statement: Insert | Update | Delete | Select[Any]) -> None:
        self._statement = statement
        # By dialect and, for an INSERT or UPDATE, the columns given: the SQL, and the values
        # the statement gives itself (``count + 1``'s 1).
        self._compiled: dict[tuple[str, tuple[str, ...]], tuple[str, dict[str, Any]]] = {}

    def rows(self, conn: Transaction, params: Mapping[str, Any]) -> list[Row]:
        """The rows of a select (or of a statement with RETURNING)."""

        def fetch(cursor: Any, sql: str, values: Any) -> list[Row]:
            cursor.execute(sql, values)
            return [tuple(row) for row in cursor.fetchall()]

        sql, fixed = self._compiled_for(conn.dialect, params)
        return _on_cursor(conn, sql, {**fixed, **params} if fixed else params, fetch)

    def run(self, conn: Transaction, params: Mapping[str, Any]) -> int:
        """Run once; how many rows it changed."""

        def execute(cursor: Any, sql: str, values: Any) -> int:
            cursor.execute(sql, values)
            return int(cursor.rowcount)

        sql, fixed = self._compiled_for(conn.dialect, params)
        return _on_cursor(conn, sql, {**fixed, **params} if fixed else params, execute)

    def run_many(self, conn: Transaction, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per row; every row gives the same keys."""

        def execute_many(cursor: Any, sql: str, values: Any) -> None:
            # One execute per row rather than ``executemany``: psycopg's enters its pipeline
            # mode, which from a worker thread cost PUT identifiers twice its CPU per call on
            # PostgreSQL for the one or two rows a call writes.
            for row in values:
                cursor.execute(sql, row)

        if not rows:
            return
        sql, fixed = self._compiled_for(conn.dialect, rows[0])
        values = [{**fixed, **row} for row in rows] if fixed else rows
        _on_cursor(conn, sql, values, execute_many)

    def _compiled_for(
        self, dialect: Dialect, params: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        key = (dialect.name, tuple(params))
        found = self._compiled.get(key)
        if found is None:
            if isinstance(dialect, DefaultDialect) and dialect.positional:
                # sqlite3's default ``?``: compiled for its ``:name`` instead.
                dialect = type(dialect)(paramstyle="named")
            # An INSERT or UPDATE sets the columns named by the parameters, as Core's execute
            # does; names of the statement's own parameters are not columns and are left alone.
            compiled = self._statement.compile(dialect=dialect, column_keys=list(params))
            every = compiled.construct_params(params)
            fixed = {name: value for name, value in every.items() if name not in params}
            found = self._compiled[key] = (compiled.string, fixed)
        return found


def _on_cursor(conn: Transaction, sql: str, values: Any, work: Callable[[Any, str, Any], T]) -> T:
    driver_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    try:
        return work(cursor, sql, values)
    except driver_error as error:
        # As Core raises it: SQLAlchemy's exception for the driver's, naming the statement.
        raise DBAPIError.instance(
            sql, values, error, driver_error, dialect=conn.dialect, ismulti=isinstance(values, list)
        ) from error
    finally:
        cursor.close()
