"""Delivered digital keys: one row per order, inside the caller's transaction (R-011, OQ-01)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from dbskit.contract.digital_goods import DigitalGoodsSubmission
from dbskit.contract.enums import DeliveryType, DigitalGoodsDeliveryType, OrderStatus
from dbskit.database.db import Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import from_micros, json_text, to_micros
from dbskit.market.domain.digital_goods import PreviousKeys
from dbskit.market.domain.order import takes_keys
from dbskit.market.storage.orders import OF_ORDER, order_params
from dbskit.market.storage.tables import digital_deliveries, order_items, orders


@dataclass(frozen=True, slots=True)
class StoredKeys:
    order_id: int
    submission: DigitalGoodsSubmission
    digest: str
    first_accepted_at: datetime
    accepted_at: datetime
    accepted_calls: int  # the first call and each replacement (OQ-01)
    repeated_calls: int  # identical repeats, which changed nothing (OQ-01)
    late_by: timedelta | None
    email_due_at: datetime
    emailed_at: datetime | None
    email_failed: bool


# Statements built once: a statement made per call with its values inline costs Core a fresh
# cache key (tens of microseconds) on every call.
_OF_ORDER = digital_deliveries.c.order_id == bindparam("o_id")
_KEYS = select(digital_deliveries).where(_OF_ORDER)
# deliverDigitalGoods' own statements run on the driver's cursor (driver_statements.py).
_PREVIOUS = DriverStatement(
    select(digital_deliveries.c.digest, digital_deliveries.c.emailed_at).where(_OF_ORDER)
)
_REPLACE_KEYS = DriverStatement(
    update(digital_deliveries)
    .where(_OF_ORDER)
    .values(accepted_calls=digital_deliveries.c.accepted_calls + 1)
)
_REPEAT = DriverStatement(
    update(digital_deliveries)
    .where(_OF_ORDER)
    .values(repeated_calls=digital_deliveries.c.repeated_calls + 1)
)
_FIRST_KEYS = DriverStatement(insert(digital_deliveries))
_EMAILED = update(digital_deliveries).where(_OF_ORDER)


@dataclass(frozen=True, slots=True)
class ItemUnits:
    id: int
    count: int


@dataclass(frozen=True, slots=True)
class OrderForKeys:
    """What deliverDigitalGoods decides on (``KeysOrder``), without the rest of the order."""

    id: int
    status: OrderStatus
    status_updated_at: datetime | None
    processing_since: datetime | None
    delivery_type: DeliveryType
    digital_delivery: DigitalGoodsDeliveryType | None
    items: tuple[ItemUnits, ...]

    @property
    def is_digital(self) -> bool:
        return self.delivery_type is DeliveryType.DIGITAL

    @property
    def takes_keys(self) -> bool:
        return takes_keys(self.delivery_type, self.digital_delivery)

    def item(self, item_id: int) -> ItemUnits | None:
        return next((item for item in self.items if item.id == item_id), None)


# The order's row locked, read with its items' units in the same statement: on PostgreSQL a
# statement that waited for the lock reads the joined items as they were when it started, which
# is safe only because an order's items never change after it is created.
_ORDER_FOR_KEYS = DriverStatement(
    select(
        orders.c.id,
        orders.c.status,
        orders.c.status_updated_at,
        orders.c.processing_since,
        orders.c.delivery_type,
        orders.c.digital_delivery_type,
        order_items.c.item_id,
        order_items.c["count"],
    )
    .select_from(orders.outerjoin(order_items, order_items.c.order_id == orders.c.id))
    .where(*OF_ORDER)
    .order_by(order_items.c.position)
    .with_for_update(of=orders)
)


def lock_order_for_keys(
    conn: Transaction, *, campaign_id: int, order_id: int
) -> OrderForKeys | None:
    """The order's status, times, delivery type and item units, its row locked."""
    params = order_params(campaign_id=campaign_id, order_id=order_id)
    rows = _ORDER_FOR_KEYS.rows(conn, params)
    if not rows:
        return None
    found_id, status, status_updated_at, processing_since, delivery_type, digital, _, _ = rows[0]
    return OrderForKeys(
        id=found_id,
        status=OrderStatus(status),
        status_updated_at=None if status_updated_at is None else from_micros(status_updated_at),
        processing_since=None if processing_since is None else from_micros(processing_since),
        delivery_type=DeliveryType(delivery_type),
        digital_delivery=DigitalGoodsDeliveryType(digital) if digital else None,
        items=tuple(ItemUnits(row[6], row[7]) for row in rows if row[6] is not None),
    )


def previous_keys(conn: Transaction, order_id: int) -> PreviousKeys | None:
    """What a new call is compared with (OQ-01): only the digest and whether it was e-mailed."""
    rows = _PREVIOUS.rows(conn, {"o_id": order_id})
    if not rows:
        return None
    ((digest, emailed_at),) = rows
    return PreviousKeys(digest, emailed=emailed_at is not None)


def load_keys(conn: Transaction, order_id: int) -> StoredKeys | None:
    row = conn.execute(_KEYS, {"o_id": order_id}).first()
    if row is None:
        return None
    return StoredKeys(
        order_id=row.order_id,
        submission=DigitalGoodsSubmission.from_canonical(row.items),
        digest=row.digest,
        first_accepted_at=row.first_accepted_at,
        accepted_at=row.accepted_at,
        accepted_calls=row.accepted_calls,
        repeated_calls=row.repeated_calls,
        late_by=None if row.late_by_us is None else timedelta(microseconds=row.late_by_us),
        email_due_at=row.email_due_at,
        emailed_at=row.emailed_at,
        email_failed=row.email_failed,
    )


def store_keys(
    conn: Transaction,
    *,
    order_id: int,
    submission: DigitalGoodsSubmission,
    late_by: timedelta | None,
    now: datetime,
    email_due_at: datetime,
    replacing: bool,
) -> None:
    """Keep these keys: the first ones (insert) or a replacement before the e-mail (OQ-01)."""
    values = {
        "digest": submission.digest(),
        "items": json_text(submission.canonical()),
        "accepted_at": to_micros(now),
        "late_by_us": None if late_by is None else late_by // timedelta(microseconds=1),
    }
    if replacing:
        _REPLACE_KEYS.run(conn, {"o_id": order_id, **values})
        return
    _FIRST_KEYS.run(
        conn,
        {
            "order_id": order_id,
            "first_accepted_at": to_micros(now),
            "accepted_calls": 1,
            "repeated_calls": 0,
            "email_due_at": to_micros(email_due_at),
            "emailed_at": None,
            "email_failed": False,
            **values,
        },
    )


def count_repeat(conn: Transaction, order_id: int) -> None:
    """An identical repeat: the keys stay as they are, the sandbox counts the call (OQ-01)."""
    _REPEAT.run(conn, {"o_id": order_id})


def mark_emailed(conn: Transaction, *, order_id: int, now: datetime, failed: bool) -> None:
    conn.execute(_EMAILED, {"o_id": order_id, "emailed_at": now, "email_failed": failed})
