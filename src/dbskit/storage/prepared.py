"""Selects run on the driver's cursor: written in Core, compiled once per dialect, rows as lists.

``Connection.execute`` does a lot on every call besides running the statement: the compiled-cache
lookup, parameter processing, events, a ``CursorResult`` reading the cursor description and a
``Row`` per row. For the hottest reads (getOrder) that costs more than the statement itself. A
``PreparedSelect`` keeps the statement in Core (names and types come from ``tables.py``), compiles
it once for each dialect, runs the SQL text on the DBAPI cursor and applies to each row exactly the
conversions Core would (each column's own result processor), so callers see the same values.

Parameters go to the driver as given: plain ints and strings only (no bind processing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect


class Cursor(Protocol):
    """What is used of a DBAPI cursor (sqlite3's, psycopg's)."""

    def execute(self, sql: str, parameters: Any, /) -> object: ...

    def fetchall(self) -> Sequence[Sequence[Any]]: ...


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional_names: tuple[str, ...] | None  # None: the driver takes named parameters
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, result processor)


class PreparedSelect:
    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.columns = tuple(column.key for column in statement.selected_columns)
        self._compiled: dict[str, _Compiled] = {}

    def index(self, key: str) -> int:
        """The position of a selected column in each row."""
        return self.columns.index(key)

    def rows(self, cursor: Cursor, dialect: Dialect, params: Mapping[str, Any]) -> list[list[Any]]:
        compiled = self._compiled.get(dialect.name) or self._compile(dialect)
        if compiled.positional_names is None:
            cursor.execute(compiled.sql, params)
        else:
            cursor.execute(compiled.sql, tuple(params[name] for name in compiled.positional_names))
        converters = compiled.converters
        found = []
        for raw in cursor.fetchall():
            row = list(raw)
            for index, convert in converters:
                value = row[index]
                if value is not None:
                    row[index] = convert(value)
            found.append(row)
        return found

    def rows_in(self, conn: Connection, params: Mapping[str, Any]) -> list[list[Any]]:
        """The rows, inside the transaction ``conn`` has open."""
        cursor = conn.connection.cursor()
        try:
            return self.rows(cursor, conn.dialect, params)
        finally:
            cursor.close()

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
