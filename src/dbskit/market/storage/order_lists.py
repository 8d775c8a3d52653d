"""Lists of orders (getOrders, getBusinessOrders): filters, pages and counts, inside the
caller's transaction."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, func, literal, not_, select, tuple_
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from dbskit.contract.enums import OrderStatus
from dbskit.database.db import Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import to_micros
from dbskit.market.domain.order import Order, OrderItem
from dbskit.market.domain.orders_query import Cursor, OrdersQuery
from dbskit.market.storage.order_rows import (
    ITEM_COLUMNS,
    NEWEST_FIRST,
    ORDER_COLUMNS,
    item_from_row,
    order_from_row,
)
from dbskit.market.storage.tables import order_items, orders

# OQ-27.
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


class Listed(NamedTuple):
    """An order of a page: which it is, and where it stands (a page token names the last)."""

    campaign_id: int
    order_id: int
    created_micros: int


# A page is read in two statements of one transaction: which orders it holds (found in the
# listing index alone when it holds every filtered column), then those of them whose documents
# are not kept (``services/order_documents.py``), with their items.
@functools.lru_cache(maxsize=_STATEMENTS_KEPT)
def _page_statement(shape: Shape) -> DriverStatement:
    return DriverStatement(
        select(orders.c.campaign_id, orders.c.id, orders.c.created_at)
        .where(*_where(shape))
        .order_by(*NEWEST_FIRST)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _wanted(count: int) -> _Params:
    return [bindparam(f"order_{index}") for index in range(count)]


@functools.lru_cache(maxsize=_STATEMENTS_KEPT)
def _orders_statement(count: int) -> DriverStatement:
    """``count`` orders by their ids (parameters ``order_0``, ...)."""
    return DriverStatement(select(*ORDER_COLUMNS).where(orders.c.id.in_(_wanted(count))))


# Joined, the order's 34 columns would come again with each item: about a third more values for
# the driver to convert.
@functools.lru_cache(maxsize=_STATEMENTS_KEPT)
def _items_statement(count: int) -> DriverStatement:
    """The items of ``count`` orders (parameters ``order_0``, ...), each order's in their order."""
    return DriverStatement(
        select(order_items.c.order_id, *ITEM_COLUMNS)
        .where(order_items.c.order_id.in_(_wanted(count)))
        .order_by(order_items.c.order_id, order_items.c.position)
    )


def _with_items(conn: Transaction, order_rows: Sequence[Sequence[Any]]) -> list[Order]:
    """The orders of rows of ``ORDER_COLUMNS``, in their order, each with its items."""
    if not order_rows:
        return []
    wanted = {f"order_{index}": row[0] for index, row in enumerate(order_rows)}
    lines: dict[int, list[OrderItem]] = {}
    for row in _items_statement(len(wanted)).rows(conn, wanted):
        lines.setdefault(row[0], []).append(item_from_row(row[1:]))
    return [order_from_row(row, lines.get(row[0], [])) for row in order_rows]


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
) -> list[Listed]:
    """Which of the campaigns' orders match the query's filters, a page of them, newest first
    (creation time, then id); ``after`` starts the page after the order a page token names."""
    criteria = _criteria(query, campaign_ids, after)
    params = {**criteria.params, "limit": limit, "offset": offset}
    return [Listed(*row) for row in _page_statement(tuple(criteria.shape)).rows(conn, params)]


def read_orders(conn: Transaction, order_ids: Sequence[int]) -> list[Order]:
    """The orders of these ids, each with its items, in no particular order."""
    if not order_ids:
        return []
    wanted = {f"order_{index}": order_id for index, order_id in enumerate(order_ids)}
    return _with_items(conn, _orders_statement(len(wanted)).rows(conn, wanted))


def load_orders(
    conn: Transaction, *, where: Sequence[ColumnElement[bool]], limit: int, offset: int = 0
) -> list[Order]:
    """A page of the orders matching ``where``, newest first (creation time, then id)."""
    page = select(*ORDER_COLUMNS).where(*where).order_by(*NEWEST_FIRST)
    return _with_items(conn, DriverStatement(page.limit(limit).offset(offset)).rows(conn, {}))
