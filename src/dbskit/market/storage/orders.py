"""Orders and their items: rows <-> ``Order``, inside the caller's transaction.

Money is kept in kopecks so that sums are exact on SQLite and PostgreSQL alike. The statements of
the hot paths are built once, with named parameters: a statement built per call with its values
inline would cost Core a fresh cache key on every call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, insert, not_, or_, select, update
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from dbskit.contract.enums import (
    BuyerType,
    Currency,
    DeliveryType,
    DispatchType,
    InstanceType,
    OrderStatus,
    OrderSubstatus,
    PaymentMethod,
    PaymentType,
    TaxSystem,
    Vat,
)
from dbskit.database.db import Database, Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import from_micros, to_micros
from dbskit.market.domain.order import BuyerCall, Order, OrderItem, Track
from dbskit.market.domain.orders_query import Cursor, OrdersQuery
from dbskit.market.storage.tables import order_items, orders

_KOPECKS = Decimal(100)


def to_kopecks(amount: Decimal) -> int:
    return int((amount * _KOPECKS).to_integral_value())


def from_kopecks(kopecks: int) -> Decimal:
    return Decimal(kopecks).scaleb(-2)  # exact, two decimal places: 49950 -> 499.50


def _order_values(order: Order) -> dict[str, Any]:
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
    }


def insert_order(conn: Transaction, order: Order) -> None:
    conn.execute(insert(orders).values(id=order.id, **_order_values(order)))
    if order.items:
        conn.execute(
            insert(order_items),
            [
                {
                    "order_id": order.id,
                    "item_id": item.id,
                    "position": position,
                    "offer_id": item.offer_id,
                    "offer_name": item.offer_name,
                    "count": item.count,
                    "price_kopecks": to_kopecks(item.price),
                    "vat": item.vat.value,
                    "required_instance_types": sorted(
                        t.value for t in item.required_instance_types
                    ),
                }
                for position, item in enumerate(order.items)
            ],
        )


# The columns set are the keys of the parameters given with it.
_SAVE_ORDER = update(orders).where(orders.c.id == bindparam("o_id"))


def save_order(conn: Transaction, order: Order) -> None:
    """Write the order's own fields back (items do not change after creation)."""
    values = _order_values(order)
    del values["campaign_id"], values["created_at"]
    conn.execute(_SAVE_ORDER, {"o_id": order.id, **values})


_TOUCH_ORDER = DriverStatement(_SAVE_ORDER)


def touch_order(conn: Transaction, order_id: int, now: datetime, **columns: Any) -> None:
    """The order changed at ``now`` through what it holds (a track, marking codes): its
    ``updated_at``, and the order's ``columns`` given (plain values: ids and text), are written,
    nothing else. On the driver's cursor: the write methods' own statement."""
    _TOUCH_ORDER.run(conn, {"o_id": order_id, "updated_at": to_micros(now), **columns})


def order_exists(conn: Transaction, order_id: int) -> bool:
    return conn.execute(select(orders.c.id).where(orders.c.id == order_id)).first() is not None


# An order with its items (and their marking codes) comes back in one statement: one row per
# item, or one row for an order without items, the order's columns (its current track among them)
# repeated on each. One statement is one round trip and one snapshot.
_ITEM_COLUMNS = (
    order_items.c.item_id,
    order_items.c.offer_id,
    order_items.c.offer_name,
    order_items.c["count"],
    order_items.c.price_kopecks,
    order_items.c.vat,
    order_items.c.required_instance_types,
    order_items.c.instances,
)


def _with_lines(source: FromClause) -> Select[Any]:
    """The rows of the orders in ``source`` (``orders`` or a page of it) with their items."""
    order = source.c
    return select(*order, *_ITEM_COLUMNS).select_from(
        source.outerjoin(order_items, order_items.c.order_id == order.id)
    )


_LINES_ORDER = (order_items.c.position,)
# One order of one campaign, by the parameters of ``order_params``.
OF_ORDER = (orders.c.id == bindparam("order_id"), orders.c.campaign_id == bindparam("campaign_id"))
ORDER_TREE = _with_lines(orders).where(*OF_ORDER).order_by(*_LINES_ORDER)
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
    return _only_order(conn.execute(ORDER_TREE, params).all())


async def read_order(db: Database, *, campaign_id: int, order_id: int) -> Order | None:
    """getOrder's read: one statement on one order's rows (a short read)."""
    params = order_params(campaign_id=campaign_id, order_id=order_id)
    return await db.run_read(
        lambda conn: _only_order(conn.execute(ORDER_TREE, params).all()), short=True
    )


def _only_order(rows: Sequence[Sequence[Any]]) -> Order | None:
    return orders_from_rows(rows)[0] if rows else None


# --- getOrders (R-108, R-120) -------------------------------------------------------------------


def _filters(query: OrdersQuery, campaign_id: int) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        orders.c.campaign_id == campaign_id,
        orders.c.fake.is_(query.fake),
    ]
    if query.order_ids is not None:
        where.append(orders.c.id.in_(query.order_ids))
        return where
    where.append(
        not_(
            and_(
                orders.c.status.in_([OrderStatus.DELIVERED.value, OrderStatus.CANCELLED.value]),
                orders.c.status_updated_at < query.closed_before,
            )
        )
    )
    if query.statuses:
        where.append(orders.c.status.in_(sorted(status.value for status in query.statuses)))
    if query.substatuses:
        where.append(orders.c.substatus.in_(sorted(sub.value for sub in query.substatuses)))
    if query.created is not None:
        where.append(orders.c.created_at >= query.created.start)
        if query.created.end is not None:
            where.append(orders.c.created_at < query.created.end)
    if query.shipment is not None:
        start, end = query.shipment
        where.append(and_(orders.c.shipment_date >= start, orders.c.shipment_date < end))
    if query.updated is not None:
        where.append(orders.c.updated_at >= query.updated.start)
        if query.updated.end is not None:
            where.append(orders.c.updated_at < query.updated.end)
    if query.dispatch_type is not None:
        where.append(orders.c.dispatch_type == query.dispatch_type.value)
    if query.has_cis:
        where.append(orders.c.has_cis.is_(True))
    if query.only_waiting_for_cancellation_approve:
        where.append(orders.c.cancellation_requested_at.is_not(None))
        where.append(orders.c.status.in_([OrderStatus.DELIVERY.value, OrderStatus.PICKUP.value]))
    if query.only_estimated_delivery:
        where.append(orders.c.estimated.is_(True))
    if query.buyer_type is not None:
        where.append(orders.c.buyer_type == query.buyer_type.value)
    return where


def _after(cursor: Cursor) -> ColumnElement[bool]:
    created = from_micros(cursor.created_micros)
    return or_(
        orders.c.created_at < created,
        and_(orders.c.created_at == created, orders.c.id < cursor.order_id),
    )


def count_orders(conn: Transaction, *, campaign_id: int, query: OrdersQuery) -> int:
    """How many orders of the campaign match the query's filters."""
    where = _filters(query, campaign_id)
    return int(conn.execute(select(func.count()).select_from(orders).where(*where)).scalar_one())


def find_orders(
    conn: Transaction,
    *,
    campaign_id: int,
    query: OrdersQuery,
    limit: int,
    offset: int = 0,
    after: Cursor | None = None,
) -> list[Order]:
    """A page of the campaign's orders matching the query's filters, newest first (creation
    time, then id); ``after`` starts the page after the order a page token names."""
    where = _filters(query, campaign_id)
    if after is not None:
        where.append(_after(after))
    return load_orders(conn, where=where, limit=limit, offset=offset)


def load_orders(
    conn: Transaction, *, where: Sequence[ColumnElement[bool]], limit: int, offset: int = 0
) -> list[Order]:
    """A page of the orders matching ``where``, newest first (creation time, then id)."""
    page = (
        select(orders)
        .where(*where)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    rows = conn.execute(
        _with_lines(page).order_by(page.c.created_at.desc(), page.c.id.desc(), *_LINES_ORDER)
    )
    return orders_from_rows(rows)


def delete_order(conn: Transaction, order_id: int) -> bool:
    conn.execute(delete(order_items).where(order_items.c.order_id == order_id))
    return conn.execute(delete(orders).where(orders.c.id == order_id)).rowcount == 1


# Positions in the rows of ``_with_lines`` (every variant selects the same columns).
_AT = {column.key: index for index, column in enumerate(ORDER_TREE.selected_columns)}
_ID, _ITEM_ID = _AT["id"], _AT["item_id"]


def orders_from_rows(rows: Iterable[Sequence[Any]]) -> list[Order]:
    """The orders in rows of ``_with_lines``, in row order (an order's rows come together)."""
    found: list[Order] = []
    head: Sequence[Any] | None = None
    lines: list[Sequence[Any]] = []
    for row in rows:
        if head is None or row[_ID] != head[_ID]:
            if head is not None:
                found.append(_order(head, lines))
            head, lines = row, []
        if row[_ITEM_ID] is not None:
            lines.append(row)
    if head is not None:
        found.append(_order(head, lines))
    return found


def _item(row: Sequence[Any]) -> OrderItem:
    at = _AT
    return OrderItem(
        id=row[_ITEM_ID],
        offer_id=row[at["offer_id"]],
        offer_name=row[at["offer_name"]],
        count=row[at["count"]],
        price=from_kopecks(row[at["price_kopecks"]]),
        vat=Vat(row[at["vat"]]),
        required_instance_types=frozenset(
            InstanceType(value) for value in row[at["required_instance_types"]]
        ),
        instances=row[at["instances"]] or (),  # NULL, which no converter sees: no codes
    )


def _optional_substatus(value: str | None) -> OrderSubstatus | None:
    return OrderSubstatus(value) if value else None


def _order(row: Sequence[Any], lines: list[Sequence[Any]]) -> Order:
    at = _AT
    track_code = row[at["track_code"]]
    return Order(
        id=row[_ID],
        campaign_id=row[at["campaign_id"]],
        status=OrderStatus(row[at["status"]]),
        substatus=_optional_substatus(row[at["substatus"]]),
        fake=row[at["fake"]],
        created_at=row[at["created_at"]],
        updated_at=row[at["updated_at"]],
        processing_since=row[at["processing_since"]],
        delivery_type=DeliveryType(row[at["delivery_type"]]),
        delivery_service_id=row[at["delivery_service_id"]],
        region_id=row[at["region_id"]],
        buyer_type=BuyerType(row[at["buyer_type"]]),
        currency=Currency(row[at["currency"]]),
        payment_type=PaymentType(row[at["payment_type"]]),
        payment_method=PaymentMethod(row[at["payment_method"]]),
        delivery_price=from_kopecks(row[at["delivery_price_kopecks"]]),
        items=tuple(_item(item_row) for item_row in lines),
        cancellation_requested_at=row[at["cancellation_requested_at"]],
        cancellation_request_substatus=_optional_substatus(
            row[at["cancellation_request_substatus"]]
        ),
        status_updated_at=row[at["status_updated_at"]],
        delivery_service_name=row[at["delivery_service_name"]],
        dispatch_type=DispatchType(row[at["dispatch_type"]]),
        delivery_from_date=row[at["delivery_from_date"]],
        delivery_to_date=row[at["delivery_to_date"]],
        shipment_date=row[at["shipment_date"]],
        real_delivery_date=row[at["real_delivery_date"]],
        estimated=row[at["estimated"]],
        tax_system=TaxSystem(row[at["tax_system"]]),
        buyer_calls=tuple(
            BuyerCall(datetime.fromisoformat(call["startedAt"]), timedelta(seconds=call["seconds"]))
            for call in row[at["buyer_calls"]]
        ),
        buyer_phone_unreachable=row[at["buyer_phone_unreachable"]],
        track=Track(track_code, row[at["track_service_id"]]) if track_code is not None else None,
    )
