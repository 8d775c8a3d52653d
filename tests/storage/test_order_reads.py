"""An order with its items, marking codes and track reads back the same on every read path.

getOrder reads the order in one statement (a short read: on SQLite on the event loop, on
PostgreSQL without BEGIN and COMMIT), the writers inside their transaction, getOrders a page at a
time.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from dbskit.contract.enums import InstanceType, Vat
from dbskit.contract.operations import Profile
from dbskit.database.db import Database
from dbskit.market.domain.marking import MarkingCode
from dbskit.market.domain.order import Order, OrderItem, Track
from dbskit.market.domain.orders_query import TokenPaging, orders_query, params_from
from dbskit.market.services.order_documents import BYTES_KEPT, OrderDocuments, Shelf
from dbskit.market.services.orders import get_order_document, token_page
from dbskit.market.storage.marking_codes import replace_codes
from dbskit.market.storage.order_lists import load_orders, read_orders
from dbskit.market.storage.orders import insert_order, load_order, order_params, read_order
from dbskit.market.storage.tables import orders
from dbskit.market.storage.tracks import set_current_track
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
        replace_codes(
            conn, order_id=full.id, codes={COAT.id: COAT_CODES, SHOES.id: SHOE_CODES}, now=NOW
        )
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
    assert await read_order(db, campaign_id=campaign, order_id=full.id) == full
    assert await read_order(db, campaign_id=campaign, order_id=plain.id) == plain
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
        by_id = {order.id: order for order in read_orders(conn, [plain.id, full.id])}
        assert by_id == {full.id: full, plain.id: plain}
    with db.write() as conn:
        assert load_order(conn, campaign_id=campaign, order_id=full.id, for_update=True) == full


async def test_an_order_of_another_campaign_or_unknown_is_not_found(
    db: Database, campaign: int
) -> None:
    full, _ = _stored_orders(db, campaign)
    for params in (
        order_params(campaign_id=campaign + 1, order_id=full.id),
        order_params(campaign_id=campaign, order_id=full.id + 100),
    ):
        assert await read_order(db, **params) is None
        with db.write() as conn:
            assert load_order(conn, **params, for_update=True) is None
    with db.read() as conn:
        assert load_orders(conn, where=[orders.c.campaign_id == campaign + 1], limit=5) == []


@pytest.mark.decision("Short work on the event loop (SQLite)")
async def test_a_read_on_the_event_loop_never_waits_for_a_locked_database(
    db: Database, campaign: int
) -> None:
    """SQLite: with the file locked by another process the read goes to a worker thread, the
    loop keeps running, and the read completes once the lock is gone. Nothing that could wait
    for the lock runs on the loop's thread: neither opening the loop's connection (whose first
    PRAGMAs wait for it) nor any statement."""
    if not db.is_sqlite:
        pytest.skip("reads run on the event loop on SQLite only")
    full, _ = _stored_orders(db, campaign)
    db.dispose()  # the holder below needs the file to itself
    holder = sqlite3.connect(db.engine.url.database or "", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    loop_thread = threading.get_ident()
    on_loop: list[str] = []

    def opened(*_: object) -> None:
        if threading.get_ident() == loop_thread:
            on_loop.append("a connection opened")

    def statement(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if threading.get_ident() == loop_thread:
            on_loop.append(sql)

    sa.event.listen(db.engine, "connect", opened)
    sa.event.listen(db.engine, "before_cursor_execute", statement)

    read = asyncio.create_task(read_order(db, campaign_id=campaign, order_id=full.id))
    # A read that waited on the loop would hold it until the busy timeout and then fail: here
    # the loop goes on turning and the read is still waiting for the lock.
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert not read.done()
    holder.execute("COMMIT")
    holder.close()
    sa.event.remove(db.engine, "connect", opened)
    sa.event.remove(db.engine, "before_cursor_execute", statement)
    assert on_loop == []

    assert await asyncio.wait_for(read, timeout=10) == full
    assert await read_order(db, campaign_id=campaign, order_id=full.id) == full


async def test_a_short_read_sees_what_another_connection_committed(
    db: Database, campaign: int
) -> None:
    """The loop's reader keeps its connection between reads: each read is a transaction of its
    own, so a commit by any other connection is seen by the next read."""
    full, _ = _stored_orders(db, campaign)
    assert await read_order(db, campaign_id=campaign, order_id=full.id) == full

    with db.write() as conn:
        set_current_track(
            conn, order_id=full.id, campaign_id=campaign, track=Track("RA3", 51), now=NOW
        )
    changed = await read_order(db, campaign_id=campaign, order_id=full.id)
    assert changed == replace(full, track=Track("RA3", 51))


@pytest.mark.decision("Each order's documents kept while the database is unchanged")
async def test_order_documents_are_kept_while_the_database_is_unchanged(
    db: Database, campaign: int
) -> None:
    """The one cache of order reads (``OrderDocuments``): on SQLite a document is rendered once
    per order and renderer and kept until any connection commits; a page renders only the orders
    it does not find kept; PostgreSQL has no change counter and renders every time."""
    full, plain = _stored_orders(db, campaign)
    await db.open_loop_connections()
    documents = OrderDocuments(db)
    rendered: list[tuple[str, Order]] = []

    def render_one(order: Order) -> bytes:
        rendered.append(("one", order))
        return f"{order.id}:{order.track}".encode()

    def render_listed(order: Order) -> bytes:
        rendered.append(("listed", order))
        return f"[{order.id}]".encode()

    async def one(order_id: int) -> bytes:
        return await get_order_document(
            db, documents.shelf(), campaign_id=campaign, order_id=order_id, render=render_one
        )

    async def page() -> list[bytes]:
        pairs = [("limit", "50"), ("fake", "true")]  # test orders are listed with fake=true
        query = orders_query(params_from(pairs), now=NOW + timedelta(1), profile=Profile.SEED)
        assert isinstance(query.paging, TokenPaging)
        shelf = documents.shelf()
        with db.read() as conn:
            found = token_page(
                conn, (campaign,), query, query.paging, render=render_listed, shelf=shelf
            )
        return found.documents

    first = await one(full.id)
    assert await one(full.id) == first
    assert await one(plain.id) == f"{plain.id}:None".encode()
    kept = db.is_sqlite
    assert rendered == (
        [("one", full), ("one", plain)] if kept else [("one", full)] * 2 + [("one", plain)]
    )
    rendered.clear()
    assert await page() == [f"[{full.id}]".encode(), f"[{plain.id}]".encode()]
    assert await page() == [f"[{full.id}]".encode(), f"[{plain.id}]".encode()]
    # Rendered once each on SQLite (the second page finds both kept); the one-order documents
    # are another renderer's and are not used for a page.
    assert sorted(order.id for _, order in rendered) == sorted(
        [full.id, plain.id] * (1 if kept else 2)
    )
    assert {kind for kind, _ in rendered} == {"listed"}

    rendered.clear()
    other = Database(db.url)  # another engine: as another process would write
    try:
        with other.write() as conn:
            set_current_track(
                conn, order_id=full.id, campaign_id=campaign, track=Track("RA4", 51), now=NOW
            )
    finally:
        other.dispose()
    assert await one(full.id) == f"{full.id}:{Track('RA4', 51)}".encode()
    assert rendered == [("one", replace(full, track=Track("RA4", 51), updated_at=NOW))]
    assert await page() == [f"[{full.id}]".encode(), f"[{plain.id}]".encode()]
    assert [kind for kind, _ in rendered] == ["one", "listed", "listed"]


def test_a_full_shelf_is_emptied_and_fills_again() -> None:
    shelf = Shelf(capacity=2)
    orders_kept = [make_order(id=52_000_000_100 + number, campaign_id=7) for number in range(3)]

    def render(order: Order) -> bytes:
        return str(order.id).encode()

    for order in orders_kept:
        shelf.put(render, order)
    first, second, third = orders_kept
    assert shelf.get(render, campaign_id=7, order_id=first.id) is None
    assert shelf.get(render, campaign_id=7, order_id=second.id) is None
    assert shelf.get(render, campaign_id=7, order_id=third.id) == str(third.id).encode()
    assert shelf.get(render, campaign_id=8, order_id=third.id) is None  # another campaign's key

    def render_large(order: Order) -> bytes:
        return b"x" * (BYTES_KEPT // 2 + 1)

    roomy = Shelf(capacity=10)
    roomy.put(render_large, first)
    roomy.put(render_large, second)  # the two would pass BYTES_KEPT: the first goes
    assert roomy.get(render_large, campaign_id=7, order_id=first.id) is None
    assert roomy.get(render_large, campaign_id=7, order_id=second.id) is not None
