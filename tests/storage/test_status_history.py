"""An order's status history in storage: written with the change, in its transaction, on SQLite
and PostgreSQL; and no code that could change a status without it."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from dbskit.contract.enums import OrderStatus, OrderSubstatus
from dbskit.database.db import Database
from dbskit.market.storage import migrations
from dbskit.market.storage.orders import (
    delete_order,
    insert_order,
    order_row,
    save_order,
    touch_order,
)
from dbskit.market.storage.status_history import Actor, StatusChangeRecord, status_history
from dbskit.market.storage.tables import orders, query_log
from dbskit.settings import normalise_database_url
from tests.storage.conftest import insert_shop
from tests.unit.factories import CREATED, make_order

SOURCES = Path(__file__).resolve().parents[2] / "src" / "dbskit"
# The one statement that writes an order's columns from its parameters (``save_order``, which
# records the history, and ``touch_order``, which refuses a status).
SAVING_MODULE = SOURCES / "market" / "storage" / "orders.py"


def test_placing_and_each_change_write_one_row(db: Database, campaign: int) -> None:
    order = make_order(id=54_000_000_001, campaign_id=campaign)
    later = CREATED + timedelta(hours=2)
    ready = replace(
        order, substatus=OrderSubstatus.READY_TO_SHIP, updated_at=later, status_updated_at=later
    )
    with db.write() as conn:
        insert_order(conn, order)
        save_order(conn, ready, previous=order, actor=Actor.SELLER)
        moved = replace(ready, delivery_from_date=CREATED.date())  # not a status change
        save_order(conn, moved, previous=ready, actor=Actor.MARKET)

    with db.read() as conn:
        rows = status_history(conn, order.id)
    assert [(row.from_status, row.from_substatus, row.to_substatus, row.actor) for row in rows] == [
        (None, None, OrderSubstatus.STARTED, Actor.SANDBOX),
        (
            OrderStatus.PROCESSING,
            OrderSubstatus.STARTED,
            OrderSubstatus.READY_TO_SHIP,
            Actor.SELLER,
        ),
    ]
    assert [row.at for row in rows] == [CREATED, later]
    assert all(isinstance(row, StatusChangeRecord) and row.order_id == order.id for row in rows)


def test_a_change_rolled_back_leaves_no_row(db: Database, campaign: int) -> None:
    order = make_order(id=54_000_000_002, campaign_id=campaign)
    with db.write() as conn:
        insert_order(conn, order)
    cancelled = replace(order, status=OrderStatus.CANCELLED, substatus=OrderSubstatus.SHOP_FAILED)

    with pytest.raises(RuntimeError), db.write() as conn:
        save_order(conn, cancelled, previous=order, actor=Actor.SELLER)
        raise RuntimeError("the unit of work fails after the change")

    with db.read() as conn:
        assert [row.to_status for row in status_history(conn, order.id)] == [OrderStatus.PROCESSING]


def test_the_rows_go_with_their_order(db: Database, campaign: int) -> None:
    order = make_order(id=54_000_000_003, campaign_id=campaign)
    with db.write() as conn:
        insert_order(conn, order)
        assert delete_order(conn, order.id)
    with db.read() as conn:
        assert status_history(conn, order.id) == []


def test_touching_an_order_refuses_its_status(db: Database, campaign: int) -> None:
    order = make_order(id=54_000_000_004, campaign_id=campaign)
    with db.write() as conn:
        insert_order(conn, order)
        with pytest.raises(ValueError, match="save_order"):
            touch_order(conn, order.id, CREATED, status="DELIVERED")


def _updates_of_orders(tree: ast.AST) -> tuple[int, list[set[str]]]:
    """How many ``update(orders)`` a module builds, and the columns each ``.values()`` chained
    to one names."""
    built = 0
    valued: list[set[str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "update":
            built += isinstance(node.args[0], ast.Name) and node.args[0].id == "orders"
        elif isinstance(func, ast.Attribute) and func.attr == "values":
            inner = ast.dump(func.value)
            if "Name(id='update'" in inner and "Name(id='orders'" in inner:
                valued.append({keyword.arg or "**" for keyword in node.keywords})
    return built, valued


def test_no_statement_but_save_orders_can_set_a_status() -> None:
    """A status change recorded nowhere would need a statement that writes ``orders.status``:
    every ``update(orders)`` outside ``storage/orders.py`` names its columns, none a status."""
    status_columns = {"status", "substatus", "status_updated_at", "**"}
    found = {}
    for path in SOURCES.rglob("*.py"):
        if "migrations" in path.parts or path == SAVING_MODULE:
            continue
        text = path.read_text()
        assert "UPDATE orders" not in text.replace("update orders", "UPDATE orders"), path
        built, valued = _updates_of_orders(ast.parse(text))
        if built:
            found[path.relative_to(SOURCES).as_posix()] = valued
            assert len(valued) == built, f"{path}: an update(orders) without named columns"
            assert all(columns.isdisjoint(status_columns) for columns in valued), path
    assert found  # the check saw the statements it guards (tracks, marking codes)


def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))
    with db.write() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def test_0016_keeps_the_log_and_orders_and_goes_back(database_url: str) -> None:
    """Entries and orders from before stay as they were: no order named, no history."""
    db = Database(normalise_database_url(database_url))
    try:
        _migrate(db, "0015")
        campaign = insert_shop(db)
        order = make_order(id=54_000_000_005, campaign_id=campaign)
        with db.write() as conn:
            present = {column["name"] for column in sa.inspect(conn).get_columns("orders")}
            row = {name: value for name, value in order_row(order).items() if name in present}
            conn.execute(sa.insert(orders).values(id=order.id, **row))
            conn.execute(
                sa.text(
                    "INSERT INTO query_log (at, method, path, query, status, request_headers,"
                    " request_body, request_size, request_truncated, response_headers,"
                    " response_body, response_size, response_truncated)"
                    " VALUES (0, 'GET', :path, '', 200, '{}', '', 0, false, '{}', '', 0, false)"
                ),
                {"path": f"/v2/campaigns/{campaign}/orders/{order.id}"},
            )

        _migrate(db, "0016")
        with db.read() as conn:
            assert conn.execute(sa.select(query_log.c.order_id)).scalars().all() == [None]
            assert status_history(conn, order.id) == []

        _migrate(db, "0015", down=True)
        with db.read() as conn:
            inspector = sa.inspect(conn)
            assert "order_id" not in {c["name"] for c in inspector.get_columns("query_log")}
            assert not inspector.has_table("order_status_history")
    finally:
        db.dispose()
