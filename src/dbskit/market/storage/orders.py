"""Orders and their items: rows <-> ``Order``, inside the caller's transaction.

Money is kept in kopecks so that sums are exact on SQLite and PostgreSQL alike. The statements of
the hot paths are built once, with named parameters: a statement built per call with its values
inline would cost Core a fresh cache key on every call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from pydantic_core import from_json
from sqlalchemy import (
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    not_,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement

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
    TaxSystem,
    Vat,
)
from dbskit.database.db import Database, Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import from_micros, to_micros
from dbskit.market.domain.order import BuyerCall, Order, OrderItem, Track
from dbskit.market.domain.orders_query import Cursor, OrdersQuery
from dbskit.market.storage.tables import order_items, orders
from dbskit.market.storage.types import unit_codes_from_text

E = TypeVar("E", bound=Enum)

_KOPECKS = Decimal(100)


def to_kopecks(amount: Decimal) -> int:
    return int((amount * _KOPECKS).to_integral_value())


def from_kopecks(kopecks: int) -> Decimal:
    return Decimal(kopecks).scaleb(-2)  # exact, two decimal places: 49950 -> 499.50


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


def insert_order(conn: Transaction, order: Order) -> None:
    conn.execute(insert(orders).values(id=order.id, **order_row(order)))
    if order.items:
        conn.execute(insert(order_items), item_rows(order))


# The columns set are the keys of the parameters given with it.
_SAVE_ORDER = update(orders).where(orders.c.id == bindparam("o_id"))


def save_order(conn: Transaction, order: Order) -> None:
    """Write the order's own fields back (items do not change after creation)."""
    values = order_row(order)
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


# The reads run on the driver's cursor (``DriverStatement``): through Core, the result
# processors and row objects cost a page of getOrders more than the rest of its read
# (docs/benchmarks.md, "Order lists"). The columns come as both databases give them alike: times
# as microseconds, days and JSON as text.
_ORDER_COLUMNS = (
    orders.c.id,
    orders.c.campaign_id,
    orders.c.status,
    orders.c.substatus,
    orders.c.fake,
    orders.c.created_at,
    orders.c.updated_at,
    orders.c.status_updated_at,
    orders.c.processing_since,
    orders.c.delivery_type,
    orders.c.delivery_service_id,
    orders.c.delivery_service_name,
    orders.c.dispatch_type,
    orders.c.region_id,
    cast(orders.c.delivery_from_date, Text).label("delivery_from_date"),
    cast(orders.c.delivery_to_date, Text).label("delivery_to_date"),
    cast(orders.c.shipment_date, Text).label("shipment_date"),
    cast(orders.c.real_delivery_date, Text).label("real_delivery_date"),
    orders.c.estimated,
    orders.c.delivery_price_kopecks,
    orders.c.buyer_type,
    orders.c.currency,
    orders.c.payment_type,
    orders.c.payment_method,
    orders.c.tax_system,
    orders.c.cancellation_requested_at,
    orders.c.cancellation_request_substatus,
    cast(orders.c.buyer_calls, Text).label("buyer_calls"),
    orders.c.buyer_phone_unreachable,
    orders.c.track_code,
    orders.c.track_service_id,
    orders.c.external_order_id,
    orders.c.digital_delivery_type,
    orders.c.steam_link,
)
_ITEM_COLUMNS = (
    order_items.c.item_id,
    order_items.c.offer_id,
    order_items.c.offer_name,
    order_items.c["count"],
    order_items.c.price_kopecks,
    order_items.c.vat,
    cast(order_items.c.required_instance_types, Text).label("required_instance_types"),
    order_items.c.instances,
)
_NEWEST_FIRST = (orders.c.created_at.desc(), orders.c.id.desc())


# One order of one campaign, by the parameters of ``order_params``.
OF_ORDER = (orders.c.id == bindparam("order_id"), orders.c.campaign_id == bindparam("campaign_id"))
# One order comes back with its items in one statement (one snapshot even without a
# transaction, as getOrder reads): a row per item, or one for an order without items, the order's
# columns repeated on each.
_ORDER_TREE = DriverStatement(
    select(*_ORDER_COLUMNS, *_ITEM_COLUMNS)
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


# --- getOrders and getBusinessOrders (R-108, R-120, OQ-27) ---------------------------------------

# Values of the statement itself: each its own parameter (a list given to ``in_`` would be one
# expanded per call, which the driver's cursor does not do).
_CLOSED = [literal(status.value) for status in (OrderStatus.DELIVERED, OrderStatus.CANCELLED)]
_AWAITING_ANSWER = (OrderStatus.DELIVERY.value, OrderStatus.PICKUP.value)

# Each filter's condition on the orders, given its parameters. A query's filters become a shape
# (each filter it uses, with how many values) and parameters (``Criteria``); each shape is a
# statement built and compiled once, so that a call pays for neither.
_Params = list[BindParameter[Any]]
_CONDITIONS: dict[str, Callable[[_Params], ColumnElement[bool]]] = {
    "campaign": orders.c.campaign_id.in_,
    # Orders named by their ids are looked up by them. Without statistics SQLite takes an
    # equality on the first columns of the listing index for a few rows, and would walk every
    # order of the campaign rather than fetch the 50 named: here the campaign is compared as an
    # expression that no index serves (SQLite's documented way to set a term aside).
    "campaign_of_named": lambda p: (orders.c.campaign_id + 0).in_(p),
    "fake": lambda p: orders.c.fake == p[0],
    "order": orders.c.id.in_,
    "external": orders.c.external_order_id.in_,
    # delivered or cancelled before this moment: no longer listed.
    "open_since": lambda p: not_(
        and_(orders.c.status.in_(_CLOSED), orders.c.status_updated_at < p[0])
    ),
    "status": orders.c.status.in_,
    "substatus": orders.c.substatus.in_,
    "created_from": lambda p: orders.c.created_at >= p[0],
    "created_to": lambda p: orders.c.created_at < p[0],
    "shipment": lambda p: and_(orders.c.shipment_date >= p[0], orders.c.shipment_date < p[1]),
    "updated_from": lambda p: orders.c.updated_at >= p[0],
    "updated_to": lambda p: orders.c.updated_at < p[0],
    "dispatch": lambda p: orders.c.dispatch_type == p[0],
    "has_cis": lambda p: orders.c.has_cis == p[0],
    "awaiting": lambda p: and_(
        orders.c.cancellation_requested_at.is_not(None), orders.c.status.in_(p)
    ),
    "estimated": lambda p: orders.c.estimated == p[0],
    "buyer": lambda p: orders.c.buyer_type == p[0],
    # A page token: after the order it names, newest first (creation time, then id); as a row
    # value, which both databases read as a range of the listing index.
    "after": lambda p: tuple_(orders.c.created_at, orders.c.id) < tuple_(*p),
}
Shape = tuple[tuple[str, int], ...]


@dataclass(slots=True)
class Criteria:
    """A query's filters: their shape, and their values as the statement's parameters."""

    shape: list[tuple[str, int]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, *values: Any) -> None:
        self.shape.append((name, len(values)))
        for index, value in enumerate(values):
            self.params[f"{name}_{index}"] = value


def _day(day: date) -> str:
    return day.isoformat()  # as SQLite stores a day; PostgreSQL casts it to the column's date


def _criteria(query: OrdersQuery, campaign_ids: Sequence[int], after: Cursor | None) -> Criteria:
    found = Criteria()
    named = query.order_ids is not None or query.external_order_ids is not None
    found.add("campaign_of_named" if named else "campaign", *campaign_ids)
    found.add("fake", query.fake)
    if query.order_ids is not None:
        found.add("order", *query.order_ids)
    if query.external_order_ids is not None:
        found.add("external", *query.external_order_ids)
    if query.closed_before is not None:
        found.add("open_since", to_micros(query.closed_before))
    if query.statuses:
        found.add("status", *sorted(status.value for status in query.statuses))
    if query.substatuses:
        found.add("substatus", *sorted(sub.value for sub in query.substatuses))
    if query.created is not None:
        found.add("created_from", to_micros(query.created.start))
        if query.created.end is not None:
            found.add("created_to", to_micros(query.created.end))
    if query.shipment is not None:
        found.add("shipment", *map(_day, query.shipment))
    if query.updated is not None:
        found.add("updated_from", to_micros(query.updated.start))
        if query.updated.end is not None:
            found.add("updated_to", to_micros(query.updated.end))
    if query.dispatch_type is not None:
        found.add("dispatch", query.dispatch_type.value)
    if query.has_cis:
        found.add("has_cis", True)
    if query.only_waiting_for_cancellation_approve:
        found.add("awaiting", *_AWAITING_ANSWER)
    if query.only_estimated_delivery:
        found.add("estimated", True)
    if query.buyer_type is not None:
        found.add("buyer", query.buyer_type.value)
    if after is not None:
        found.add("after", after.created_micros, after.order_id)
    return found


def _where(shape: Shape) -> list[ColumnElement[bool]]:
    return [
        _CONDITIONS[name]([bindparam(f"{name}_{index}") for index in range(count)])
        for name, count in shape
    ]


_STATEMENTS_KEPT = 256  # shapes: the filters a client combines, and the lengths of id lists


@functools.lru_cache(maxsize=_STATEMENTS_KEPT)
def _count_statement(shape: Shape) -> DriverStatement:
    return DriverStatement(select(func.count()).select_from(orders).where(*_where(shape)))


# A page of orders is read in two statements of one transaction: the page (its orders found in
# the listing index alone when it holds every filtered column, each row then read from its index
# entry), then their items. Joined, the order's 34 columns would come again with each item: about
# a third more values for the driver to convert.
@functools.lru_cache(maxsize=_STATEMENTS_KEPT)
def _page_statement(shape: Shape) -> DriverStatement:
    return DriverStatement(
        select(*_ORDER_COLUMNS)
        .where(*_where(shape))
        .order_by(*_NEWEST_FIRST)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.lru_cache(maxsize=_STATEMENTS_KEPT)
def _items_statement(count: int) -> DriverStatement:
    """The items of ``count`` orders (parameters ``order_0``, ...), each order's in their order."""
    wanted: _Params = [bindparam(f"order_{index}") for index in range(count)]
    return DriverStatement(
        select(order_items.c.order_id, *_ITEM_COLUMNS)
        .where(order_items.c.order_id.in_(wanted))
        .order_by(order_items.c.order_id, order_items.c.position)
    )


def _with_items(conn: Transaction, order_rows: Sequence[Sequence[Any]]) -> list[Order]:
    """The orders of rows of ``_ORDER_COLUMNS``, in their order, each with its items."""
    if not order_rows:
        return []
    wanted = {f"order_{index}": row[0] for index, row in enumerate(order_rows)}
    lines: dict[int, list[OrderItem]] = {}
    for row in _items_statement(len(wanted)).rows(conn, wanted):
        lines.setdefault(row[0], []).append(_item(row[1:]))
    return [_order(row, lines.get(row[0], [])) for row in order_rows]


def count_orders(conn: Transaction, *, campaign_ids: Sequence[int], query: OrdersQuery) -> int:
    """How many orders of the campaigns match the query's filters."""
    criteria = _criteria(query, campaign_ids, None)
    return int(_count_statement(tuple(criteria.shape)).rows(conn, criteria.params)[0][0])


def find_orders(
    conn: Transaction,
    *,
    campaign_ids: Sequence[int],
    query: OrdersQuery,
    limit: int,
    offset: int = 0,
    after: Cursor | None = None,
) -> list[Order]:
    """A page of the campaigns' orders matching the query's filters, newest first (creation
    time, then id); ``after`` starts the page after the order a page token names."""
    criteria = _criteria(query, campaign_ids, after)
    params = {**criteria.params, "limit": limit, "offset": offset}
    return _with_items(conn, _page_statement(tuple(criteria.shape)).rows(conn, params))


def load_orders(
    conn: Transaction, *, where: Sequence[ColumnElement[bool]], limit: int, offset: int = 0
) -> list[Order]:
    """A page of the orders matching ``where``, newest first (creation time, then id)."""
    page = select(*_ORDER_COLUMNS).where(*where).order_by(*_NEWEST_FIRST)
    return _with_items(conn, DriverStatement(page.limit(limit).offset(offset)).rows(conn, {}))


def delete_order(conn: Transaction, order_id: int) -> bool:
    conn.execute(delete(order_items).where(order_items.c.order_id == order_id))
    return conn.execute(delete(orders).where(orders.c.id == order_id)).rowcount == 1


# --- Rows to orders -------------------------------------------------------------------------------

_ORDER_WIDTH = len(_ORDER_COLUMNS)  # an order's columns in a row; its item's may follow


def _values_of(enum: type[E]) -> dict[str, E]:
    """An enum's members by value: a dict lookup costs a tenth of calling the enum."""
    return {member.value: member for member in enum}


_STATUS = _values_of(OrderStatus)
_SUBSTATUS = _values_of(OrderSubstatus)
_DELIVERY_TYPE = _values_of(DeliveryType)
_DISPATCH_TYPE = _values_of(DispatchType)
_BUYER_TYPE = _values_of(BuyerType)
_CURRENCY = _values_of(Currency)
_PAYMENT_TYPE = _values_of(PaymentType)
_PAYMENT_METHOD = _values_of(PaymentMethod)
_TAX_SYSTEM = _values_of(TaxSystem)
_DIGITAL_DELIVERY = _values_of(DigitalGoodsDeliveryType)
_VAT = _values_of(Vat)


def orders_from_rows(rows: Iterable[Sequence[Any]]) -> list[Order]:
    """The orders in rows of an order and its items (``_ORDER_TREE``), in row order (an order's
    rows come together)."""
    found: list[Order] = []
    head: Sequence[Any] | None = None
    lines: list[OrderItem] = []
    for row in rows:
        if head is None or row[0] != head[0]:
            if head is not None:
                found.append(_order(head, lines))
            head, lines = row, []
        if row[_ORDER_WIDTH] is not None:
            lines.append(_item(row[_ORDER_WIDTH:]))
    if head is not None:
        found.append(_order(head, lines))
    return found


@functools.lru_cache(maxsize=64)  # an item needs one kind or none: a handful of values
def _instance_types(stored: str) -> frozenset[InstanceType]:
    return frozenset(InstanceType(kind) for kind in from_json(stored))


def _item(values: Sequence[Any]) -> OrderItem:
    """The item of the values of ``_ITEM_COLUMNS``."""
    item_id, offer_id, offer_name, count, price_kopecks, vat, kinds, codes = values
    return OrderItem(
        id=item_id,
        offer_id=offer_id,
        offer_name=offer_name,
        count=count,
        price=from_kopecks(price_kopecks),
        vat=_VAT[vat],
        required_instance_types=_instance_types(kinds),
        instances=unit_codes_from_text(codes),
    )


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


def _stored_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _buyer_calls(text: str) -> tuple[BuyerCall, ...]:
    if text == "[]":  # nearly every order
        return ()
    return tuple(
        BuyerCall(datetime.fromisoformat(call["startedAt"]), timedelta(seconds=call["seconds"]))
        for call in from_json(text)
    )


def _order(row: Sequence[Any], items: list[OrderItem]) -> Order:
    (
        order_id,
        campaign_id,
        status,
        substatus,
        fake,
        created_at,
        updated_at,
        status_updated_at,
        processing_since,
        delivery_type,
        delivery_service_id,
        delivery_service_name,
        dispatch_type,
        region_id,
        delivery_from_date,
        delivery_to_date,
        shipment_date,
        real_delivery_date,
        estimated,
        delivery_price_kopecks,
        buyer_type,
        currency,
        payment_type,
        payment_method,
        tax_system,
        cancellation_requested_at,
        cancellation_request_substatus,
        buyer_calls,
        buyer_phone_unreachable,
        track_code,
        track_service_id,
        external_order_id,
        digital_delivery_type,
        steam_link,
    ) = row[:_ORDER_WIDTH]
    return Order(
        id=order_id,
        campaign_id=campaign_id,
        status=_STATUS[status],
        substatus=_SUBSTATUS[substatus] if substatus else None,
        fake=bool(fake),  # SQLite gives 0 or 1
        created_at=from_micros(created_at),
        updated_at=from_micros(updated_at),
        processing_since=_moment(processing_since),
        delivery_type=_DELIVERY_TYPE[delivery_type],
        delivery_service_id=delivery_service_id,
        region_id=region_id,
        buyer_type=_BUYER_TYPE[buyer_type],
        currency=_CURRENCY[currency],
        payment_type=_PAYMENT_TYPE[payment_type],
        payment_method=_PAYMENT_METHOD[payment_method],
        delivery_price=from_kopecks(delivery_price_kopecks),
        items=tuple(items),
        cancellation_requested_at=_moment(cancellation_requested_at),
        cancellation_request_substatus=(
            _SUBSTATUS[cancellation_request_substatus] if cancellation_request_substatus else None
        ),
        status_updated_at=from_micros(status_updated_at),
        delivery_service_name=delivery_service_name,
        dispatch_type=_DISPATCH_TYPE[dispatch_type],
        delivery_from_date=_stored_day(delivery_from_date),
        delivery_to_date=_stored_day(delivery_to_date),
        shipment_date=_stored_day(shipment_date),
        real_delivery_date=_stored_day(real_delivery_date),
        estimated=bool(estimated),
        tax_system=_TAX_SYSTEM[tax_system],
        buyer_calls=_buyer_calls(buyer_calls),
        buyer_phone_unreachable=bool(buyer_phone_unreachable),
        track=Track(track_code, track_service_id) if track_code is not None else None,
        external_order_id=external_order_id,
        digital_delivery=_DIGITAL_DELIVERY[digital_delivery_type]
        if digital_delivery_type
        else None,
        steam_link=steam_link,
    )
