"""Migrations that move data keep it: upgraded and downgraded on a database holding some."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from dbskit.contract.enums import DeliveryType, DigitalGoodsDeliveryType, InstanceType, Vat
from dbskit.database.db import Database
from dbskit.market.domain.marking import MarkingCode
from dbskit.market.domain.order import Order, OrderItem
from dbskit.market.storage import migrations
from dbskit.market.storage.orders import item_rows, load_order, order_row
from dbskit.market.storage.tables import order_items, orders
from dbskit.settings import normalise_database_url
from tests.storage.conftest import insert_shop
from tests.unit.factories import make_order


@pytest.fixture
def empty_db(database_url: str) -> Iterator[Database]:
    """A database without a schema: a test migrates it to the revision it starts from."""
    db = Database(normalise_database_url(database_url))
    yield db
    db.dispose()


def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))
    with db.write() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def insert_order(conn: sa.Connection, order: Order) -> None:
    """The order as ``storage.orders.insert_order`` writes it, on the schema of an earlier
    revision: only the order columns that revision has."""
    present = {column["name"] for column in sa.inspect(conn).get_columns("orders")}
    row = {name: value for name, value in order_row(order).items() if name in present}
    conn.execute(sa.insert(orders).values(id=order.id, **row))
    if order.items:
        conn.execute(sa.insert(order_items), item_rows(order))


def _track(conn: sa.Connection, order_id: int, campaign_id: int, code: str, current: bool) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO order_tracks (order_id, campaign_id, track_code, track_hash,"
            ' delivery_service_id, set_at, "current")'
            " VALUES (:o, :c, :code, :hash, 51, 0, :current)"
        ),
        {"o": order_id, "c": campaign_id, "code": code, "hash": code * 4, "current": current},
    )


@pytest.mark.rule("OQ-06", "R-021")
def test_0011_moves_the_current_track_to_the_order_and_back(empty_db: Database) -> None:
    """OQ-06: the order keeps showing the track it had; its history keeps every track."""
    _migrate(empty_db, "0010")
    campaign = insert_shop(empty_db)
    with empty_db.write() as conn:
        tracked = make_order(id=53_000_000_001, campaign_id=campaign)
        untracked = make_order(id=53_000_000_002, campaign_id=campaign)
        insert_order(conn, tracked)
        insert_order(conn, untracked)
        _track(conn, tracked.id, campaign, "RA1", current=False)
        _track(conn, tracked.id, campaign, "RA2", current=True)

    _migrate(empty_db, "0011")
    with empty_db.read() as conn:
        tracks = conn.execute(
            sa.text("SELECT id, track_code, track_service_id FROM orders ORDER BY id")
        ).all()
        history = conn.execute(sa.text("SELECT track_code FROM order_tracks ORDER BY id"))
        assert [row.track_code for row in history] == ["RA1", "RA2"]
    assert [tuple(row) for row in tracks] == [
        (tracked.id, "RA2", 51),
        (untracked.id, None, None),
    ]

    _migrate(empty_db, "0010", down=True)
    with empty_db.read() as conn:
        rows = conn.execute(
            sa.text('SELECT track_code, "current" FROM order_tracks ORDER BY id')
        ).all()
    assert [(code, bool(current)) for code, current in rows] == [("RA1", False), ("RA2", True)]


def _code_rows(conn: sa.Connection) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in conn.execute(
            sa.text(
                "SELECT order_id, item_id, position, kind, value, cis, country_code"
                " FROM marking_codes ORDER BY order_id, item_id, position"
            )
        )
    ]


@pytest.mark.rule("R-035", "OQ-08")
def test_0012_moves_the_marking_codes_to_their_items_and_back(empty_db: Database) -> None:
    """R-035: every item keeps showing its codes, in the order they were sent, unchanged."""
    _migrate(empty_db, "0011")
    campaign = insert_shop(empty_db)
    items = tuple(
        OrderItem(item_id, f"sku-{item_id}", "Boots", 2, Decimal("990.00"), Vat.VAT_20)
        for item_id in (401, 402, 403)
    )
    order = make_order(id=53_000_000_011, campaign_id=campaign, items=items)
    bare = make_order(id=53_000_000_012, campaign_id=campaign)
    first, second = 401, 402
    rows = [
        (
            order.id,
            first,
            0,
            "CIS",
            "010460620309818721ab\u001d93ЖЖ",
            "010460620309818721ab",
            None,
        ),
        (order.id, first, 1, "UIN", "1234567890123456", None, None),
        (order.id, second, 0, "GTD", "10702070/010122/0000001", None, "CN"),
    ]
    with empty_db.write() as conn:
        # Inserted out of their order: the move goes by position.
        insert_order(conn, order)
        insert_order(conn, bare)
        for row in reversed(rows):
            conn.execute(
                sa.text(
                    "INSERT INTO marking_codes VALUES"
                    " (:order_id, :item_id, :position, :kind, :value, :cis, :country_code)"
                ),
                dict(
                    zip(
                        (
                            "order_id",
                            "item_id",
                            "position",
                            "kind",
                            "value",
                            "cis",
                            "country_code",
                        ),
                        row,
                        strict=True,
                    )
                ),
            )

    _migrate(empty_db, "0012")
    _migrate(empty_db, "head")  # the columns of later revisions, which the code reads
    with empty_db.read() as conn:
        found = load_order(conn, campaign_id=campaign, order_id=order.id)
        plain = load_order(conn, campaign_id=campaign, order_id=bare.id)
    assert found is not None and plain is not None
    assert found.items[0].instances == (
        MarkingCode(InstanceType.CIS, rows[0][4], rows[0][5]),
        MarkingCode(InstanceType.UIN, "1234567890123456"),
    )
    assert found.items[1].instances == (
        MarkingCode(InstanceType.GTD, "10702070/010122/0000001", country_code="CN"),
    )
    assert all(item.instances == () for item in (*found.items[2:], *plain.items))

    _migrate(empty_db, "0011", down=True)
    with empty_db.read() as conn:
        assert _code_rows(conn) == rows


@pytest.mark.rule("OQ-26")
@pytest.mark.decision("getBusinessOrders (OQ-27)")
def test_0013_makes_kept_digital_orders_email_and_goes_back_without_losing_items(
    empty_db: Database,
) -> None:
    """A DIGITAL order kept from before was delivered by e-mail; a downgrade drops the three
    columns and nothing else (the orders' items stay)."""
    _migrate(empty_db, "0012")
    campaign = insert_shop(empty_db)
    digital = make_order(
        id=53_000_000_021, campaign_id=campaign, delivery_type=DeliveryType.DIGITAL
    )
    physical = make_order(id=53_000_000_022, campaign_id=campaign)
    with empty_db.write() as conn:
        insert_order(conn, digital)
        insert_order(conn, physical)

    _migrate(empty_db, "0013")
    with empty_db.read() as conn:
        kept = load_order(conn, campaign_id=campaign, order_id=digital.id)
        other = load_order(conn, campaign_id=campaign, order_id=physical.id)
    assert kept is not None and other is not None
    assert kept.digital_delivery is DigitalGoodsDeliveryType.EMAIL and kept.takes_keys
    assert other.digital_delivery is None
    assert (kept.external_order_id, kept.steam_link) == (None, None)

    _migrate(empty_db, "0012", down=True)
    with empty_db.read() as conn:
        columns = {column["name"] for column in sa.inspect(conn).get_columns("orders")}
        items = conn.execute(sa.text("SELECT order_id FROM order_items ORDER BY order_id")).all()
    assert not columns & {"external_order_id", "digital_delivery_type", "steam_link"}
    assert [row.order_id for row in items] == [digital.id, physical.id]


@pytest.mark.rule("R-079")
def test_back_before_0009_with_orders_kept(empty_db: Database) -> None:
    """Dropping the campaigns' ``active`` column keeps the campaigns their orders refer to."""
    _migrate(empty_db, "0012")
    campaign = insert_shop(empty_db)
    order = make_order(id=53_000_000_031, campaign_id=campaign)
    with empty_db.write() as conn:
        insert_order(conn, order)

    _migrate(empty_db, "0008", down=True)
    with empty_db.read() as conn:
        columns = {column["name"] for column in sa.inspect(conn).get_columns("campaigns")}
        kept = conn.execute(sa.text("SELECT id, campaign_id FROM orders")).all()
        items = conn.execute(sa.text("SELECT count(*) FROM order_items")).scalar_one()
    assert "active" not in columns
    assert [tuple(row) for row in kept] == [(order.id, campaign)]
    assert items == len(order.items)
