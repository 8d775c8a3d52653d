"""The store's record of notifications received (each kept once) and of the orders it knows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from dbskit.database.db import Database
from dbskit.settings import normalise_database_url
from dbskit.shop.storage import migrations, notifications, orders
from dbskit.shop.storage.orders import StoreOrder

AT = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store_db(database_url: str) -> Iterator[Database]:
    db = Database(normalise_database_url(database_url))
    migrations.upgrade(db)
    yield db
    db.dispose()


def receive(db: Database, dedup_key: str, order_id: int) -> bool:
    with db.write() as tx:
        return notifications.record_received(
            tx,
            dedup_key=dedup_key,
            type="ORDER_CREATED",
            order_id=order_id,
            campaign_id=5,
            body={"orderId": order_id, "notificationType": "ORDER_CREATED"},
            received_at=AT,
        )


def test_a_notification_is_kept_once(store_db: Database) -> None:
    assert receive(store_db, "ORDER_CREATED:7", 7) is True
    assert receive(store_db, "ORDER_CREATED:7", 7) is False
    assert receive(store_db, "ORDER_CREATED:8", 8) is True
    newest, oldest = notifications.list_received(store_db)
    assert (newest.order_id, oldest.order_id) == (8, 7)
    (only,) = notifications.list_received(store_db, order_id=7, type="ORDER_CREATED")
    assert (only.dedup_key, only.body, only.received_at, only.campaign_id) == (
        "ORDER_CREATED:7",
        {"orderId": 7, "notificationType": "ORDER_CREATED"},
        AT,
        5,
    )
    assert notifications.list_received(store_db, type="PING") == []


def test_orders_are_upserted_and_listed(store_db: Database) -> None:
    digital = StoreOrder(
        order_id=7,
        campaign_id=5,
        status="PROCESSING",
        substatus="STARTED",
        delivery_type="EMAIL",
        created_at=AT,
        keys_due_at=AT + timedelta(minutes=30),
    )
    gift = StoreOrder(
        order_id=8,
        campaign_id=5,
        status="PROCESSING",
        delivery_type="STEAM_GIFT",
        needs_seller="STEAM_GIFT: send the gift yourself",
    )
    with store_db.write() as tx:
        orders.upsert_order(tx, digital)
        orders.upsert_order(tx, gift)
    done = StoreOrder(
        order_id=7,
        campaign_id=5,
        status="DELIVERED",
        delivery_type="EMAIL",
        created_at=AT,
        keys_due_at=AT + timedelta(minutes=30),
        delivered_at=AT + timedelta(minutes=31),
        late=True,
        note="keys sent 1 minute late",
    )
    with store_db.write() as tx:
        orders.upsert_order(tx, done)
        assert orders.get_order(tx, 7) == done
        assert orders.get_order(tx, 9) is None
    assert orders.list_orders(store_db) == [gift, done]
    assert orders.list_orders(store_db, needs_seller=True) == [gift]
    assert orders.list_orders(store_db, needs_seller=False) == [done]
    assert orders.list_orders(store_db, late=True) == [done]
    assert orders.list_orders(store_db, limit=1) == [gift]
