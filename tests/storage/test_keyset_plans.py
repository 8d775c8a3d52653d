"""A later keyset page starts its index walk at its cursor (SQLite's query plans): the orders list
and the query log of the cabinet, and ``GET /sandbox/requests``'s entries, each bound the time by
the cursor's in the index range and sort nothing (``storage.keyset.older_than``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from dbskit.database.db import Database, Transaction
from dbskit.market.storage import migrations
from dbskit.market.storage.cabinet_reads import OrderFilter, QueryLogFilter, log_page, order_page
from dbskit.market.storage.query_log import newest_entries

CURSOR = (datetime(2030, 3, 1, 12, tzinfo=UTC), 500)
SINCE = datetime(2030, 2, 20, tzinfo=UTC)

Read = Callable[[Transaction], object]
READS: dict[str, Read] = {
    "orders, every campaign": lambda c: order_page(c, OrderFilter(), after=CURSOR, limit=51),
    "orders, one campaign": lambda c: order_page(
        c, OrderFilter(campaign_id=7), after=CURSOR, limit=51
    ),
    "query log, retention only": lambda c: log_page(
        c, QueryLogFilter(since=SINCE), after=CURSOR, limit=51
    ),
    "query log, a status": lambda c: log_page(
        c, QueryLogFilter(status=500, since=SINCE), after=CURSOR, limit=51
    ),
    "query log, an operation": lambda c: log_page(
        c, QueryLogFilter(operation="getOrders", since=SINCE), after=CURSOR, limit=51
    ),
    "query log, a campaign": lambda c: log_page(
        c, QueryLogFilter(campaign_id=7, since=SINCE), after=CURSOR, limit=51
    ),
    "query log, an order": lambda c: log_page(
        c, QueryLogFilter(order_id=9, since=SINCE), after=CURSOR, limit=51
    ),
    "requests": lambda c: newest_entries(c, since=SINCE, limit=51, after=CURSOR),
    "requests, a campaign": lambda c: newest_entries(
        c, since=SINCE, limit=51, campaign_id=7, after=CURSOR
    ),
}


@pytest.fixture
def sqlite_db(tmp_path: Any) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'plans.sqlite3'}")
    migrations.upgrade(database)
    yield database
    database.dispose()


def query_plan(db: Database, read: Read) -> list[str]:
    """SQLite's plan of the last statement ``read`` runs, one line per step."""
    statements: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        statements.append((args[2], args[3]))  # the statement and its parameters

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.read() as conn:
            read(conn)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = statements[-1]
    with db.read() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [str(row[-1]) for row in rows]


@pytest.mark.parametrize("name", READS)
def test_a_later_page_seeks_to_its_cursor(sqlite_db: Database, name: str) -> None:
    plan = query_plan(sqlite_db, READS[name])
    assert len(plan) == 1, plan  # one index range: no OR split into two, no sort
    (step,) = plan
    assert step.startswith("SEARCH ") and " USING INDEX " in step, step
    # SQLite prints "<" for the cursor's "<=": the walk is bounded by the cursor's time.
    assert "at<?" in step, step
