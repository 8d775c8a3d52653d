"""100,000 orders of one campaign, written straight into a server's database.

Placing them one ``POST /sandbox/...`` at a time would take many minutes; instead the orders are
built here from a seeded random source as dbskit's ``Order``s and stored with the rows dbskit's
storage writes for them (``order_row``, ``item_rows``), a few thousand per statement, while the
server runs (SQLite's WAL, or PostgreSQL, lets another process write beside it). The list
methods only read them, so one fill serves every round.

The mix: most orders were created within the last 29 days (inside the default 30-day windows of
getOrders and getBusinessOrders), a tenth earlier; one in twenty is a test order (``fake``);
courier, pick-up and DIGITAL deliveries in every state their status model allows, a fifth of the
orders in DELIVERY or PICKUP waiting for the store's answer to a cancellation request; one to
three lines each, some marked; a track on the orders in DELIVERY; the seller's own id on half.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from benchmarks._paths import use_checkout_sources

if TYPE_CHECKING:
    from dbskit.market.domain.order import Order

STORED_ORDERS = 100_000
ORDERS_PER_TRANSACTION = 5_000
RECENT_DAYS = 29  # most orders are this recent: inside the default 30-day windows
OLD_SHARE = 0.1  # the rest were created 31 to 60 days ago
FAKE_SHARE = 0.05
CANCELLATION_REQUEST_SHARE = 0.2  # of the orders in DELIVERY or PICKUP
_SEED = 11


@dataclass(frozen=True)
class StoredOrders:
    """What the requests of the list workloads need to know of the stored orders."""

    campaign_id: int
    order_ids: tuple[int, ...]  # newest first
    fake_ids: frozenset[int]
    external_ids: tuple[str, ...]


def build_orders(campaign_id: int, *, now: datetime, count: int, seed: int = _SEED) -> list[Order]:
    """``count`` orders of the campaign (see the module's docstring), newest first."""
    use_checkout_sources()
    from dbskit.contract.enums import (
        BuyerType,
        Currency,
        DeliveryType,
        DigitalGoodsDeliveryType,
        DispatchType,
        InstanceType,
        OrderStatus,
        OrderSubstatus,
        PaymentMethod,
        PaymentType,
        Vat,
    )
    from dbskit.contract.regions import REGIONS
    from dbskit.market.domain.delivery_services import DELIVERY_SERVICES
    from dbskit.market.domain.order import Order, OrderItem, Track, required_instance_types
    from dbskit.market.domain.status_model import valid_states
    from dbskit.market.domain.test_orders import ITEM_ID_RANGE, ORDER_ID_RANGE

    rng = random.Random(seed)
    ids = rng.sample(range(ORDER_ID_RANGE[0], ORDER_ID_RANGE[1] + 1), count)
    regions = sorted(region_id for region_id, region in REGIONS.items() if region.type == "CITY")
    states = {kind: sorted(valid_states(kind)) for kind in DeliveryType}
    kinds = [DeliveryType.DELIVERY] * 7 + [DeliveryType.PICKUP] * 2 + [DeliveryType.DIGITAL]
    waiting = {OrderStatus.DELIVERY, OrderStatus.PICKUP}
    vats = [Vat.VAT_20, Vat.VAT_10, Vat.NO_VAT]

    def created_at(position: int) -> datetime:
        # Evenly spread, newest first: the recent ones, then the older tenth.
        recent = int(count * (1 - OLD_SHARE))
        if position < recent:
            return now - timedelta(days=RECENT_DAYS) * (position + 0.5) / recent
        share = (position - recent + 0.5) / (count - recent)
        return now - timedelta(days=31) - timedelta(days=29) * share

    def item(item_id: int, n: int, buyer: BuyerType) -> OrderItem:
        marking = InstanceType.CIS if rng.random() < 0.15 else None
        return OrderItem(
            id=item_id,
            offer_id=f"offer-{rng.randrange(5_000):04d}",
            offer_name=f"Товар номер {n} из каталога магазина",
            count=rng.choice((1, 1, 1, 2, 3)),
            price=Decimal(rng.randrange(100, 500_000)).scaleb(-2),
            vat=rng.choice(vats),
            required_instance_types=required_instance_types(marking, buyer),
        )

    def order(position: int, order_id: int) -> Order:
        created = created_at(position)
        updated = min(now, created + timedelta(hours=rng.uniform(0, 72)))
        kind = rng.choice(kinds)
        status, substatus = rng.choice(states[kind])
        service = rng.choice(DELIVERY_SERVICES)
        day = created.date()
        digital = kind is DeliveryType.DIGITAL
        requested = status in waiting and rng.random() < CANCELLATION_REQUEST_SHARE
        item_ids = rng.sample(range(ITEM_ID_RANGE[0], ITEM_ID_RANGE[1] + 1), rng.randint(1, 3))
        buyer = BuyerType.BUSINESS if rng.random() < 0.1 else BuyerType.PERSON
        pickup = kind is DeliveryType.PICKUP
        return Order(
            id=order_id,
            campaign_id=campaign_id,
            status=status,
            substatus=substatus,
            fake=rng.random() < FAKE_SHARE,
            created_at=created,
            updated_at=updated,
            status_updated_at=updated,
            processing_since=created,
            delivery_type=kind,
            delivery_service_id=service.id,
            delivery_service_name=service.name,
            dispatch_type=DispatchType.SHOP_OUTLET if pickup else DispatchType.BUYER,
            region_id=rng.choice(regions),
            buyer_type=buyer,
            currency=Currency.RUR,
            payment_type=PaymentType.POSTPAID,
            payment_method=PaymentMethod.CASH_ON_DELIVERY,
            delivery_price=Decimal(0) if digital else Decimal(rng.choice((0, 199, 349))),
            items=tuple(item(item_id, n, buyer) for n, item_id in enumerate(item_ids)),
            cancellation_requested_at=updated if requested else None,
            cancellation_request_substatus=OrderSubstatus.USER_CHANGED_MIND if requested else None,
            delivery_from_date=day if digital else day + timedelta(days=2),
            delivery_to_date=day if digital else day + timedelta(days=rng.randint(2, 5)),
            shipment_date=None if digital else day + timedelta(days=1),
            real_delivery_date=day + timedelta(days=2) if status is OrderStatus.DELIVERED else None,
            track=(Track(f"TRK{order_id}", service.id) if status is OrderStatus.DELIVERY else None),
            external_order_id=f"shop-{order_id}" if rng.random() < 0.5 else None,
            digital_delivery=DigitalGoodsDeliveryType.EMAIL if digital else None,
        )

    return [order(position, order_id) for position, order_id in enumerate(ids)]


def _chunks(orders: Sequence[Order], size: int) -> Iterator[Sequence[Order]]:
    for start in range(0, len(orders), size):
        yield orders[start : start + size]


def write_orders(database_url: str, campaign_id: int, *, now: datetime) -> StoredOrders:
    """Build ``STORED_ORDERS`` orders and store them in the database of ``database_url``, with
    the rows dbskit's storage writes for each (``order_row``, ``item_rows``), a few thousand
    orders per statement."""
    use_checkout_sources()
    from sqlalchemy import insert

    from dbskit.database.db import Database
    from dbskit.market.storage.orders import item_rows, order_row
    from dbskit.market.storage.tables import order_items
    from dbskit.market.storage.tables import orders as orders_table
    from dbskit.settings import normalise_database_url

    orders = build_orders(campaign_id, now=now, count=STORED_ORDERS)
    db = Database(normalise_database_url(database_url))
    try:
        for chunk in _chunks(orders, ORDERS_PER_TRANSACTION):
            with db.write() as conn:
                conn.execute(
                    insert(orders_table), [_stored_row(order, order_row) for order in chunk]
                )
                conn.execute(
                    insert(order_items), [row for order in chunk for row in item_rows(order)]
                )
        if not db.is_sqlite:  # the statistics its autovacuum gathers after such a load
            with db.write() as conn:
                conn.exec_driver_sql("ANALYZE orders, order_items")
    finally:
        db.dispose()
    settle(database_url)
    return StoredOrders(
        campaign_id=campaign_id,
        order_ids=tuple(order.id for order in orders),
        fake_ids=frozenset(order.id for order in orders if order.fake),
        external_ids=tuple(o.external_order_id for o in orders if o.external_order_id),
    )


def _stored_row(order: Order, order_row: Callable[[Order], dict[str, Any]]) -> dict[str, Any]:
    """The order's row with its id and its current track (which delivery/track writes)."""
    track = order.track
    return {
        "id": order.id,
        **order_row(order),
        "track_code": track.track_code if track else None,
        "track_service_id": track.delivery_service_id if track else None,
    }


def settle(database_url: str) -> None:
    """On SQLite, everything written so far moved from the WAL into the database file, as it is
    long after a write: a reader looks for every page in the WAL first, and a WAL of some tens
    of MB (the fill's, or what the 512 KB bodies of another workload left) doubled the CPU of a
    page of getOrders. Nothing to do on PostgreSQL."""
    use_checkout_sources()
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    with contextlib.closing(sqlite3.connect(url.database)) as conn:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
