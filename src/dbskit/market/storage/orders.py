"""Orders and their items: written and read one order at a time, inside the caller's
transaction (lists of orders: ``order_lists.py``; the columns and rows: ``order_rows.py``).

The statements of the hot paths are built once, with named parameters: a statement built per
call with its values inline would cost Core a fresh cache key on every call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import bindparam, delete, insert, select, update

from dbskit.database.db import Database, Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import to_micros
from dbskit.market.domain.order import Order
from dbskit.market.storage.order_rows import (
    ITEM_COLUMNS,
    ORDER_COLUMNS,
    orders_from_rows,
    to_kopecks,
)
from dbskit.market.storage.status_history import Actor, record_status_change
from dbskit.market.storage.tables import order_items, orders


def order_row(order: Order) -> dict[str, Any]:
    """The ``orders`` row of the order, without its id."""
    return {
        "campaign_id": order.campaign_id,
        "status": order.status.value,
        "substatus": order.substatus.value if order.substatus else None,
        "fake": order.fake,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "status_updated_at": order.status_updated_at or order.created_at,
        "processing_since": order.processing_since,
        "delivery_type": order.delivery_type.value,
        "delivery_service_id": order.delivery_service_id,
        "delivery_service_name": order.delivery_service_name,
        "dispatch_type": order.dispatch_type.value,
        "region_id": order.region_id,
        "delivery_from_date": order.delivery_from_date,
        "delivery_to_date": order.delivery_to_date,
        "shipment_date": order.shipment_date,
        "real_delivery_date": order.real_delivery_date,
        "estimated": order.estimated,
        "delivery_price_kopecks": to_kopecks(order.delivery_price),
        "buyer_type": order.buyer_type.value,
        "currency": order.currency.value,
        "payment_type": order.payment_type.value,
        "payment_method": order.payment_method.value,
        "tax_system": order.tax_system.value,
        "has_cis": order.has_cis,
        "cancellation_requested_at": order.cancellation_requested_at,
        "cancellation_request_substatus": (
            order.cancellation_request_substatus.value
            if order.cancellation_request_substatus
            else None
        ),
        "buyer_calls": [
            {"startedAt": call.started_at.isoformat(), "seconds": call.duration.total_seconds()}
            for call in order.buyer_calls
        ],
        "buyer_phone_unreachable": order.buyer_phone_unreachable,
        "external_order_id": order.external_order_id,
        "digital_delivery_type": order.digital_delivery.value if order.digital_delivery else None,
        "steam_link": order.steam_link,
    }


def item_rows(order: Order) -> list[dict[str, Any]]:
    """The ``order_items`` rows of the order's lines, in their order."""
    return [
        {
            "order_id": order.id,
            "item_id": item.id,
            "position": position,
            "offer_id": item.offer_id,
            "offer_name": item.offer_name,
            "count": item.count,
            "price_kopecks": to_kopecks(item.price),
            "vat": item.vat.value,
            "required_instance_types": sorted(t.value for t in item.required_instance_types),
        }
        for position, item in enumerate(order.items)
    ]


def insert_order(conn: Transaction, order: Order, *, actor: Actor = Actor.SANDBOX) -> None:
    """Write a new order and the first row of its status history. Orders are placed through
    the sandbox (a test order, a scenario, a checkout), hence the default actor."""
    conn.execute(insert(orders).values(id=order.id, **order_row(order)))
    if order.items:
        conn.execute(insert(order_items), item_rows(order))
    record_status_change(
        conn,
        order_id=order.id,
        before=None,
        after=(order.status, order.substatus),
        at=order.status_updated_at or order.created_at,
        actor=actor,
    )


# The columns set are the keys of the parameters given with it.
_SAVE_ORDER = update(orders).where(orders.c.id == bindparam("o_id"))


def save_order(conn: Transaction, order: Order, *, previous: Order, actor: Actor) -> None:
    """Write the order's own fields back (items do not change after creation); a change of
    status from ``previous`` (the order as the transaction read it) goes into its history, made
    by ``actor``. Every status change passes here, so none is left out of the history."""
    values = order_row(order)
    del values["campaign_id"], values["created_at"]
    conn.execute(_SAVE_ORDER, {"o_id": order.id, **values})
    record_status_change(
        conn,
        order_id=order.id,
        before=(previous.status, previous.substatus),
        after=(order.status, order.substatus),
        at=order.status_updated_at or order.updated_at,
        actor=actor,
    )


_TOUCH_ORDER = DriverStatement(_SAVE_ORDER)


# What only ``save_order`` writes: a status change goes into the order's history with it.
_STATUS_COLUMNS: Final = frozenset({"status", "substatus", "status_updated_at"})


def touch_order(conn: Transaction, order_id: int, now: datetime, **columns: Any) -> None:
    """The order changed at ``now`` through what it holds (a track, marking codes): its
    ``updated_at``, and the order's ``columns`` given (plain values: ids and text), are written,
    nothing else; never its status (``save_order``). On the driver's cursor: the write methods'
    own statement."""
    if not _STATUS_COLUMNS.isdisjoint(columns):
        raise ValueError("a status changes through save_order, which records it in the history")
    _TOUCH_ORDER.run(conn, {"o_id": order_id, "updated_at": to_micros(now), **columns})


def order_exists(conn: Transaction, order_id: int) -> bool:
    return conn.execute(select(orders.c.id).where(orders.c.id == order_id)).first() is not None


# One order of one campaign, by the parameters of ``order_params``.
OF_ORDER = (orders.c.id == bindparam("order_id"), orders.c.campaign_id == bindparam("campaign_id"))
# One order comes back with its items in one statement (one snapshot even without a
# transaction, as getOrder reads): a row per item, or one for an order without items, the order's
# columns repeated on each.
_ORDER_TREE = DriverStatement(
    select(*ORDER_COLUMNS, *ITEM_COLUMNS)
    .select_from(orders.outerjoin(order_items, order_items.c.order_id == orders.c.id))
    .where(*OF_ORDER)
    .order_by(order_items.c.position)
)
_LOCK_ORDER = DriverStatement(select(orders.c.id).where(*OF_ORDER).with_for_update())


def order_params(*, campaign_id: int, order_id: int) -> dict[str, int]:
    return {"order_id": order_id, "campaign_id": campaign_id}


def lock_order(conn: Transaction, params: Mapping[str, int]) -> None:
    """Lock the order's row (``order_params``) until the transaction ends, before the next read.

    On PostgreSQL the lock is taken by a statement of its own: a statement that waited for a row
    lock still reads the other tables as they were when it started, while the next one starts
    once the lock is held and reads what the transaction it waited for wrote. SQLite's write
    transactions hold the whole database from their BEGIN IMMEDIATE: there is no row to lock.
    """
    if conn.dialect.name != "sqlite":
        _LOCK_ORDER.rows(conn, params)


def load_order(
    conn: Transaction, *, campaign_id: int, order_id: int, for_update: bool = False
) -> Order | None:
    """One order of the campaign; ``for_update`` locks its row until the transaction ends."""
    params = order_params(campaign_id=campaign_id, order_id=order_id)
    if for_update:
        lock_order(conn, params)
    return _only_order(_ORDER_TREE.rows(conn, params))


async def read_order(db: Database, *, campaign_id: int, order_id: int) -> Order | None:
    """getOrder's read: one statement on one order's rows (a short read)."""
    params = order_params(campaign_id=campaign_id, order_id=order_id)
    return await db.run_read(lambda conn: _only_order(_ORDER_TREE.rows(conn, params)), short=True)


def _only_order(rows: Sequence[Sequence[Any]]) -> Order | None:
    return orders_from_rows(rows)[0] if rows else None


def delete_order(conn: Transaction, order_id: int) -> bool:
    conn.execute(delete(order_items).where(order_items.c.order_id == order_id))
    return conn.execute(delete(orders).where(orders.c.id == order_id)).rowcount == 1
