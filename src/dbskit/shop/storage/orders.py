"""The orders the store knows: what it last read of each from the Market, the 30-minute key
deadline on the Market's clock, and whether the seller must act (``needs_seller``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from dbskit.database.db import Database, Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import to_micros
from dbskit.shop.storage.tables import REASON_MAX_LENGTH, orders


@dataclass(frozen=True, slots=True)
class StoreOrder:
    order_id: int
    campaign_id: int
    status: str
    substatus: str | None = None
    # EMAIL, ACTIVATION_CODE, STEAM_GIFT or CHAT; None for an order that is not digital.
    delivery_type: str | None = None
    created_at: datetime | None = None  # the Market's time
    keys_due_at: datetime | None = None  # created_at + 30 minutes, the Market's time
    delivered_at: datetime | None = None  # the Market's time
    late: bool = False
    # Why the seller must act (STEAM_GIFT/CHAT, out of keys, a cancellation request); None if not.
    needs_seller: str | None = None
    note: str | None = None


_COLUMNS = (
    "campaign_id",
    "status",
    "substatus",
    "delivery_type",
    "created_at",
    "keys_due_at",
    "delivered_at",
    "late",
    "needs_seller",
    "note",
)


_TIMES = ("created_at", "keys_due_at", "delivered_at")


def _upsert(insert: type[postgresql.Insert] | type[sqlite.Insert]) -> DriverStatement:
    statement = insert(orders)
    return DriverStatement(
        statement.on_conflict_do_update(
            index_elements=["order_id"],
            set_={name: statement.excluded[name] for name in _COLUMNS},
        )
    )


# On the driver's cursor, as the notifications' record is (``storage/notifications.py``).
_UPSERT = {"postgresql": _upsert(postgresql.Insert), "sqlite": _upsert(sqlite.Insert)}


def upsert_order(tx: Transaction, order: StoreOrder) -> None:
    """Insert the order, or replace every field of the one with its id."""
    values = {name: getattr(order, name) for name in _COLUMNS}
    if values["needs_seller"] is not None:
        values["needs_seller"] = values["needs_seller"][:REASON_MAX_LENGTH]
    for name in _TIMES:
        if values[name] is not None:
            values[name] = to_micros(values[name])
    _UPSERT[tx.dialect.name].run(tx, {"order_id": order.order_id, **values})


_ONE = select(orders).where(orders.c.order_id == bindparam("order_id"))


def get_order(tx: Transaction, order_id: int) -> StoreOrder | None:
    row = tx.execute(_ONE, {"order_id": order_id}).first()
    return None if row is None else _order(row)


def list_orders(
    db: Database,
    *,
    needs_seller: bool | None = None,
    late: bool | None = None,
    limit: int | None = None,
) -> list[StoreOrder]:
    """The orders, newest id first; ``needs_seller``/``late`` keep those that do (True) or do
    not (False)."""
    query = select(orders).order_by(orders.c.order_id.desc())
    if needs_seller is not None:
        has_reason = orders.c.needs_seller.is_not(None)
        query = query.where(has_reason if needs_seller else ~has_reason)
    if late is not None:
        query = query.where(orders.c.late.is_(late))
    if limit is not None:
        query = query.limit(limit)
    with db.read() as conn:
        return [_order(row) for row in conn.execute(query)]


def _order(row: object) -> StoreOrder:
    mapping = row._mapping  # type: ignore[attr-defined]
    return StoreOrder(order_id=mapping["order_id"], **{name: mapping[name] for name in _COLUMNS})
