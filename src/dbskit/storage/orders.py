"""Orders in the database: rows <-> ``Order``, inside the caller's transaction.

Money is kept in kopecks so that sums are exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update
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
from dbskit.market.domain.order import BuyerCall, Order, OrderItem, Track
from dbskit.storage.marking_codes import codes_of_orders
from dbskit.storage.tables import order_items, orders
from dbskit.storage.tracks import current_tracks

_KOPECKS = Decimal(100)


def to_kopecks(amount: Decimal) -> int:
    return int((amount * _KOPECKS).to_integral_value())


def from_kopecks(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / _KOPECKS).quantize(Decimal("0.01"))


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


def insert_order(conn: Connection, order: Order) -> None:
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


def save_order(conn: Connection, order: Order) -> None:
    """Write the order's own fields back (items do not change after creation)."""
    values = _order_values(order)
    del values["campaign_id"], values["created_at"]
    conn.execute(update(orders).where(orders.c.id == order.id).values(**values))


def order_exists(conn: Connection, order_id: int) -> bool:
    return conn.execute(select(orders.c.id).where(orders.c.id == order_id)).first() is not None


# Built once: getOrder is the hottest read, and a prepared statement skips SQLAlchemy's per-call
# construction and cache-key work.
_ORDER = select(orders).where(
    orders.c.id == bindparam("order_id"), orders.c.campaign_id == bindparam("campaign_id")
)
_ORDER_FOR_UPDATE = _ORDER.with_for_update()
_ITEMS = (
    select(order_items)
    .where(order_items.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(order_items.c.order_id, order_items.c.position)
)


def load_order(
    conn: Connection, *, campaign_id: int, order_id: int, for_update: bool = False
) -> Order | None:
    """One order of the campaign; ``for_update`` locks its row until the transaction ends."""
    query = _ORDER_FOR_UPDATE if for_update else _ORDER
    row = conn.execute(query, {"order_id": order_id, "campaign_id": campaign_id}).first()
    if row is None:
        return None
    return _order(row, _items(conn, [order_id]).get(order_id, ()), current_tracks(conn, [order_id]))


def load_orders(
    conn: Connection,
    *,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    limit: int,
    offset: int = 0,
) -> list[Order]:
    rows = conn.execute(
        select(orders).where(*where).order_by(*order_by).limit(limit).offset(offset)
    ).all()
    ids = [row.id for row in rows]
    items = _items(conn, ids)
    tracks = current_tracks(conn, ids)
    return [_order(row, items.get(row.id, ()), tracks) for row in rows]


def delete_order(conn: Connection, order_id: int) -> bool:
    conn.execute(delete(order_items).where(order_items.c.order_id == order_id))
    return conn.execute(delete(orders).where(orders.c.id == order_id)).rowcount == 1


def _items(conn: Connection, order_ids: Iterable[int]) -> dict[int, tuple[OrderItem, ...]]:
    ids = list(order_ids)
    if not ids:
        return {}
    rows = conn.execute(_ITEMS, {"order_ids": ids})
    codes = codes_of_orders(conn, ids)
    found: dict[int, list[OrderItem]] = {}
    for row in rows:
        found.setdefault(row.order_id, []).append(
            OrderItem(
                id=row.item_id,
                offer_id=row.offer_id,
                offer_name=row.offer_name,
                count=row._mapping["count"],
                price=from_kopecks(row.price_kopecks),
                vat=Vat(row.vat),
                required_instance_types=frozenset(
                    InstanceType(value) for value in row.required_instance_types
                ),
                instances=codes.get(row.order_id, {}).get(row.item_id, ()),
            )
        )
    return {order_id: tuple(items) for order_id, items in found.items()}


def _order(row: Row[Any], items: tuple[OrderItem, ...], tracks: Mapping[int, Track]) -> Order:
    return Order(
        id=row.id,
        campaign_id=row.campaign_id,
        status=OrderStatus(row.status),
        substatus=OrderSubstatus(row.substatus) if row.substatus else None,
        fake=row.fake,
        created_at=row.created_at,
        updated_at=row.updated_at,
        processing_since=row.processing_since,
        delivery_type=DeliveryType(row.delivery_type),
        delivery_service_id=row.delivery_service_id,
        region_id=row.region_id,
        buyer_type=BuyerType(row.buyer_type),
        currency=Currency(row.currency),
        payment_type=PaymentType(row.payment_type),
        payment_method=PaymentMethod(row.payment_method),
        delivery_price=from_kopecks(row.delivery_price_kopecks),
        items=items,
        cancellation_requested_at=row.cancellation_requested_at,
        cancellation_request_substatus=(
            OrderSubstatus(row.cancellation_request_substatus)
            if row.cancellation_request_substatus
            else None
        ),
        status_updated_at=row.status_updated_at,
        delivery_service_name=row.delivery_service_name,
        dispatch_type=DispatchType(row.dispatch_type),
        delivery_from_date=row.delivery_from_date,
        delivery_to_date=row.delivery_to_date,
        shipment_date=row.shipment_date,
        real_delivery_date=row.real_delivery_date,
        estimated=row.estimated,
        tax_system=TaxSystem(row.tax_system),
        buyer_calls=tuple(
            BuyerCall(datetime.fromisoformat(call["startedAt"]), timedelta(seconds=call["seconds"]))
            for call in row.buyer_calls
        ),
        buyer_phone_unreachable=row.buyer_phone_unreachable,
        track=tracks.get(row.id),
    )
