"""An order with its items, marking codes and track reads back the same on every read path.

getOrder reads the order in one statement on the driver's cursor (outside a transaction; on
SQLite on the event loop), the writers inside their transaction, getOrders a page at a time.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dbskit.contract.enums import InstanceType, Vat
from dbskit.market.domain.marking import MarkingCode
from dbskit.market.domain.order import Order, OrderItem, Track
from dbskit.storage.db import Database
from dbskit.storage.marking_codes import replace_codes
from dbskit.storage.orders import (
    ORDER_TREE,
    insert_order,
    load_order,
    load_orders,
    order_params,
    orders_from_rows,
)
from dbskit.storage.tables import orders
from dbskit.storage.tracks import set_current_track
from tests.unit.factories import make_order

NOW = datetime(2030, 3, 2, 6, 0, tzinfo=UTC)
SHOES = OrderItem(
    111, "shoes", "Shoes", 2, Decimal("1500.50"), Vat.VAT_20, frozenset({InstanceType.CIS})
)
SOCKS = OrderItem(222, "socks", "Socks", 3, Decimal("99.99"), Vat.NO_VAT)
COAT = OrderItem(
    333, "coat", "Coat", 1, Decimal("7000.00"), Vat.VAT_10, frozenset({InstanceType.UIN})
)
SHOE_CODES = (
    MarkingCode(InstanceType.CIS, "010464007801637221XYZ0001", "010464007801637221XYZ0001"),
    MarkingCode(InstanceType.CIS, "010464007801637221ABC0002", "010464007801637221ABC0002"),
)
COAT_CODES = (MarkingCode(InstanceType.UIN, "1234567890123456", None, "RU"),)


def _stored_orders(db: Database, campaign: int) -> tuple[Order, Order]:
    """An order with codes on two of its three items and a second track; an older plain one."""
    full = make_order(
        id=52_000_000_002, campaign_id=campaign, created_at=NOW, items=(SHOES, SOCKS, COAT)
    )
    plain = make_order(id=52_000_000_001, campaign_id=campaign, created_at=NOW - timedelta(1))
    with db.write() as conn:
        insert_order(conn, plain)
        insert_order(conn, full)
        # Codes sent in an order other than the positions of the codes: stored order wins.
        replace_codes(conn, order_id=full.id, codes={COAT.id: COAT_CODES, SHOES.id: SHOE_CODES})
        for code in ("RA1", "RA2"):
            set_current_track(
                conn, order_id=full.id, campaign_id=campaign, track=Track(code, 51), now=NOW
            )
    expected = replace(
        full,
        items=(replace(SHOES, instances=SHOE_CODES), SOCKS, replace(COAT, instances=COAT_CODES)),
        track=Track("RA2", 51),
        updated_at=NOW,  # the track was set then
        status_updated_at=NOW,
    )
    return expected, replace(plain, status_updated_at=plain.created_at)


async def test_every_read_path_returns_the_whole_order(db: Database, campaign: int) -> None:
    full, plain = _stored_orders(db, campaign)
    params = order_params(campaign_id=campaign, order_id=full.id)

    assert await db.run_select(ORDER_TREE, params, orders_from_rows) == [full]
    assert orders_from_rows(db.fetch(ORDER_TREE, params)) == [full]
    with db.read() as conn:
        assert load_order(conn, campaign_id=campaign, order_id=full.id) == full
        assert load_order(conn, campaign_id=campaign, order_id=plain.id) == plain
        assert load_orders(conn, where=[orders.c.campaign_id == campaign], limit=5) == [
            full,
            plain,
        ]
        assert load_orders(conn, where=[orders.c.campaign_id == campaign], limit=1, offset=1) == [
            plain
        ]
    with db.write() as conn:
        assert load_order(conn, campaign_id=campaign, order_id=full.id, for_update=True) == full


def test_a_parent_repeated_on_each_joined_row_is_converted_once(
    db: Database, campaign: int
) -> None:
    """The order's columns repeat on each of its rows: converted once, the same value on each;
    each item's own columns hold its own values."""
    full, _ = _stored_orders(db, campaign)
    rows = db.fetch(ORDER_TREE, order_params(campaign_id=campaign, order_id=full.id))
    created, types = ORDER_TREE.index("created_at"), ORDER_TREE.index("required_instance_types")
    codes = ORDER_TREE.index("instances")
    assert len(rows) == 3  # the shoes, the socks, the coat
    assert all(row[created] is rows[0][created] for row in rows)
    assert rows[0][created] == full.created_at
    assert [row[types] for row in rows] == [["CIS"], [], ["UIN"]]
    assert [row[codes] or () for row in rows] == [item.instances for item in full.items]


async def test_an_order_of_another_campaign_or_unknown_is_not_found(
    db: Database, campaign: int
) -> None:
    full, _ = _stored_orders(db, campaign)
    for params in (
        order_params(campaign_id=campaign + 1, order_id=full.id),
        order_params(campaign_id=campaign, order_id=full.id + 100),
    ):
        assert await db.run_select(ORDER_TREE, params, orders_from_rows) == []
        with db.write() as conn:
            assert load_order(conn, **params, for_update=True) is None
    with db.read() as conn:
        assert load_orders(conn, where=[orders.c.campaign_id == campaign + 1], limit=5) == []


async def test_a_read_on_the_event_loop_never_waits_for_a_locked_database(
    db: Database, campaign: int
) -> None:
    """SQLite: with the file locked by another process the read goes to a worker thread, the
    loop keeps running, and the read completes once the lock is gone."""
    if not db.is_sqlite:
        pytest.skip("reads run on the event loop on SQLite only")
    full, _ = _stored_orders(db, campaign)
    params = order_params(campaign_id=campaign, order_id=full.id)
    db.dispose()  # the holder below needs the file to itself
    holder = sqlite3.connect(db.engine.url.database or "", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")

    read = asyncio.create_task(db.run_select(ORDER_TREE, params, orders_from_rows))
    # A read that waited on the loop would hold it until the busy timeout and then fail: here
    # the loop goes on turning and the read is still waiting for the lock.
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert not read.done()
    holder.execute("COMMIT")
    holder.close()

    assert await asyncio.wait_for(read, timeout=10) == [full]
    assert await db.run_select(ORDER_TREE, params, orders_from_rows) == [full]


async def test_a_result_read_on_the_event_loop_is_kept_until_the_database_changes(
    db: Database, campaign: int
) -> None:
    """SQLite: an unchanged database answers from the remembered result (the same object); any
    commit by another connection makes the next read run the statement again."""
    if not db.is_sqlite:
        pytest.skip("reads run on the event loop on SQLite only")
    full, _ = _stored_orders(db, campaign)
    params = order_params(campaign_id=campaign, order_id=full.id)
    first = await db.run_select(ORDER_TREE, params, orders_from_rows)
    assert await db.run_select(ORDER_TREE, params, orders_from_rows) is first

    with db.write() as conn:
        set_current_track(
            conn, order_id=full.id, campaign_id=campaign, track=Track("RA3", 51), now=NOW
        )
    changed = await db.run_select(ORDER_TREE, params, orders_from_rows)
    assert changed == [replace(full, track=Track("RA3", 51))]
    assert await db.run_select(ORDER_TREE, params, orders_from_rows) is changed
