"""Statements run on the driver's cursor: written in Core, compiled once per dialect.

``Connection.execute`` does a lot on every call besides running the statement: the compiled-cache
lookup, parameter processing, events, a ``CursorResult`` reading the cursor description and a
``Row`` per row. For the hottest reads (getOrder) that costs more than the statement itself. A
``PreparedSelect`` keeps the statement in Core (names and types come from ``tables.py``), compiles
it once for each dialect, runs the SQL text on the DBAPI cursor and applies to each row exactly the
conversions Core would (each column's own result processor), so callers see the same values.

Parameters of a select go to the driver as given: plain ints and strings only (no bind
processing). A ``PreparedWrite`` (INSERT, UPDATE, DELETE) applies to each parameter the conversion
its column's type gives it in Core (``UtcTimestamp``, ``JSON``, ``Date``, ...), so that the rows
are written exactly as ``Connection.execute`` would write them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

from sqlalchemy import Connection, Delete, Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import Compiled

from dbskit.storage.held_writes import held_writes


class Cursor(Protocol):
    """What is used of a DBAPI cursor (sqlite3's, psycopg's)."""

    def execute(self, sql: str, parameters: Any, /) -> object: ...

    def fetchall(self) -> Sequence[Sequence[Any]]: ...


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional_names: tuple[str, ...] | None  # None: the driver takes named parameters
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, result processor)

    def driver_params(self, params: Mapping[str, Any]) -> Mapping[str, Any] | tuple[Any, ...]:
        """The parameters as the driver takes them: by name, or in the statement's order."""
        if self.positional_names is None:
            return params
        return tuple(params[name] for name in self.positional_names)


class PreparedSelect:
    """A select whose rows hold the values Core would give. A value equal to the one above it in
    the same column is the same object (a joined parent's columns repeat on each of its rows):
    rows are to be read, not modified."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.columns = tuple(column.key for column in statement.selected_columns)
        self._compiled: dict[str, _Compiled] = {}

    def index(self, key: str) -> int:
        """The position of a selected column in each row."""
        return self.columns.index(key)

    def rows(self, cursor: Cursor, dialect: Dialect, params: Mapping[str, Any]) -> list[list[Any]]:
        compiled = self._compiled.get(dialect.name) or self._compile(dialect)
        cursor.execute(compiled.sql, compiled.driver_params(params))
        converters = compiled.converters
        found: list[list[Any]] = []
        previous_raw: Sequence[Any] = ()
        for raw in cursor.fetchall():
            row = list(raw)
            for index, convert in converters:
                value = row[index]
                if value is None:
                    continue
                if previous_raw and previous_raw[index] == value:
                    # A joined parent's columns repeat on each of its rows: converted once.
                    row[index] = found[-1][index]
                else:
                    row[index] = convert(value)
            found.append(row)
            previous_raw = raw
        return found

    def rows_in(self, conn: Connection, params: Mapping[str, Any]) -> list[list[Any]]:
        """The rows, inside the transaction ``conn`` has open."""
        held = held_writes(conn)
        if held is not None:  # sent with the statements held before it
            return self.rows(held, conn.dialect, params)
        cursor = conn.connection.cursor()
        try:
            return self.rows(cursor, conn.dialect, params)
        finally:
            cursor.close()

    def lock_in(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Run a ``FOR UPDATE`` select for its row locks alone, inside the transaction ``conn``
        has open. Where writes are held (``held_writes``) it is held too: it goes with the next
        statement that is read, which PostgreSQL starts once the locks are taken, and so sees
        what the transactions it waited for committed. One round trip for the lock and the read.
        """
        held = held_writes(conn)
        if held is None:
            self.rows_in(conn, params)
            return
        compiled = self._compiled.get(conn.dialect.name) or self._compile(conn.dialect)
        held.hold(compiled.sql, compiled.driver_params(params))

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        converters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, column in enumerate(self.statement.selected_columns):
            convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if convert is not None:
                converters.append((index, convert))
        names: Sequence[str] | None = compiled.positiontup if compiled.positional else None
        result = _Compiled(
            sql=compiled.string,
            positional_names=tuple(names) if names is not None else None,
            converters=tuple(converters),
        )
        self._compiled[dialect.name] = result
        return result


Processor = Callable[[Any], Any]


_REQUIRED: Any = object()  # no value in the statement: the call must give one


@dataclass(frozen=True, slots=True)
class _CompiledWrite:
    sql: str
    named: bool  # the driver takes a mapping (psycopg) rather than a sequence (sqlite3)
    # For each parameter, in the driver's order: its name, its bind processor (None: the value
    # goes as it is) and the value the statement itself gives it (``.values(current=False)``).
    plan: tuple[tuple[str, Processor | None, Any], ...]
    # When the call gives every parameter and none is converted (the marking codes' columns),
    # the driver's parameters are the call's values, taken in order.
    plain: Callable[[Mapping[str, Any]], Sequence[Any] | Mapping[str, Any]] | None

    def parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        if self.plain is not None:
            return self.plain(params)
        values = []
        for name, process, fixed in self.plan:
            value = params.get(name, fixed)
            if value is _REQUIRED:
                raise KeyError(f"no value for the parameter {name!r}")
            values.append(value if process is None or value is None else process(value))
        if self.named:
            return dict(zip((name for name, _, _ in self.plan), values, strict=True))
        return values


class PreparedWrite:
    """An INSERT, UPDATE or DELETE run on the driver's cursor inside the caller's transaction.

    The columns an INSERT or UPDATE sets are the keys of the parameters of the call, besides those
    the statement sets itself; each set of keys is compiled once per dialect. Parameters with a
    name of their own (``bindparam("o_id")``) are given by that name.
    """

    def __init__(self, statement: Insert | Update | Delete) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _CompiledWrite] = {}

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Run once (on PostgreSQL, held until the transaction's next read: ``held_writes``)."""
        compiled = self._compiled_for(conn.dialect, params)
        held = held_writes(conn)
        if held is not None:
            held.hold(compiled.sql, compiled.parameters(params))
            return
        cursor = conn.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
        finally:
            cursor.close()

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run once per row; every row has the same keys."""
        if not rows:
            return
        compiled = self._compiled_for(conn.dialect, rows[0])
        held = held_writes(conn)
        if held is not None:
            for row in rows:
                held.hold(compiled.sql, compiled.parameters(row))
            return
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(compiled.sql, [compiled.parameters(row) for row in rows])  # type: ignore[arg-type]
        finally:
            cursor.close()

    def _compiled_for(self, dialect: Dialect, params: Mapping[str, Any]) -> _CompiledWrite:
        key = (dialect.name, tuple(params))
        return self._compiled.get(key) or self._compile(dialect, key)

    def _compile(self, dialect: Dialect, key: tuple[str, tuple[str, ...]]) -> _CompiledWrite:
        _, keys = key
        compiled: Compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
        binds = compiled.binds  # type: ignore[attr-defined]
        named = not compiled.positional  # type: ignore[attr-defined]
        order = tuple(binds) if named else compiled.positiontup  # type: ignore[attr-defined]
        plan = []
        for name in order:
            bind = binds[name]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            fixed = _REQUIRED if name in keys or bind.required else bind.effective_value
            plan.append((name, process, fixed))
        result = _CompiledWrite(
            sql=compiled.string, named=named, plan=tuple(plan), plain=_plain(plan, keys, named)
        )
        self._compiled[key] = result
        return result


def _plain(
    plan: Sequence[tuple[str, Processor | None, Any]], keys: Sequence[str], named: bool
) -> Callable[[Mapping[str, Any]], Sequence[Any] | Mapping[str, Any]] | None:
    """The call's values as the driver's parameters, when that is all ``parameters`` would do."""
    names = tuple(name for name, _, _ in plan)
    if not names or any(process is not None for _, process, _ in plan):
        return None
    if not set(names) <= set(keys):
        return None
    if named:
        return lambda params: {name: params[name] for name in names}
    if len(names) == 1:
        (only,) = names
        return lambda params: (params[only],)
    return itemgetter(*names)
