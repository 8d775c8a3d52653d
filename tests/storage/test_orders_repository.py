"""Orders round-trip through the database unchanged, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from dbskit.contract.enums import InstanceType, OrderStatus, OrderSubstatus, Vat
from dbskit.database.db import Database
from dbskit.market.domain.order import BuyerCall, OrderItem
from dbskit.market.storage.orders import delete_order, insert_order, load_order, save_order
from dbskit.market.storage.status_history import Actor
from tests.unit.factories import make_order


def test_an_order_reads_back_as_written(db: Database, campaign: int) -> None:
    now = datetime(2030, 3, 2, 6, 0, 0, 123456, tzinfo=UTC)
    order = make_order(
        campaign_id=campaign,
        created_at=now,
        updated_at=now,
        status_updated_at=now,
        processing_since=now,
        items=(
            OrderItem(
                111_111_111,
                "shoes",
                "Shoes",
                2,
                Decimal("1500.50"),
                Vat.VAT_20,
                frozenset({InstanceType.CIS}),
            ),
            OrderItem(222_222_222, "socks", "Socks", 3, Decimal("99.99"), Vat.NO_VAT),
        ),
        delivery_price=Decimal("250.00"),
        delivery_from_date=date(2030, 3, 4),
        delivery_to_date=date(2030, 3, 5),
        shipment_date=date(2030, 3, 3),
        buyer_calls=(BuyerCall(now, timedelta(seconds=7.5)),),
    )
    with db.write() as conn:
        insert_order(conn, order)
    with db.read() as conn:
        assert load_order(conn, campaign_id=campaign, order_id=order.id) == order
        assert load_order(conn, campaign_id=campaign + 1, order_id=order.id) is None

    later = replace(
        order,
        status=OrderStatus.CANCELLED,
        substatus=OrderSubstatus.SHOP_FAILED,
        updated_at=now + timedelta(hours=1),
        status_updated_at=now + timedelta(hours=1),
        real_delivery_date=date(2030, 3, 2),
        cancellation_requested_at=now,
        cancellation_request_substatus=OrderSubstatus.USER_CHANGED_MIND,
    )
    with db.write() as conn:
        save_order(conn, later, previous=order, actor=Actor.SELLER)
    with db.write() as conn:  # the locking read needs a write transaction
        assert load_order(conn, campaign_id=campaign, order_id=order.id, for_update=True) == later
    with db.write() as conn:
        assert delete_order(conn, order.id) is True
        assert delete_order(conn, order.id) is False
        assert load_order(conn, campaign_id=campaign, order_id=order.id) is None
