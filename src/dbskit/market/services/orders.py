"""The order methods of the Partner API: getOrder, getOrders and updateOrderStatus.

Each write is one transaction that locks the order's row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite write transactions hold the database lock), so concurrent status changes on
one order apply one after the other against the state the previous one left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, and_, func, not_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from dbskit.contract.call_warnings import CallWarning
from dbskit.contract.enums import OrderStatus
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.orders import (
    FlippingPagerDTO,
    ForwardScrollingPagerDTO,
    GetOrdersResponse,
    OrderStatusChangeDTO,
)
from dbskit.market.domain.order import Order
from dbskit.market.domain.orders_query import Cursor, OrdersQuery, PagePaging, TokenPaging
from dbskit.market.domain.status_model import Decision, StatusChange, decide_store_change
from dbskit.market.services.marking_gate import marking_precondition
from dbskit.market.services.order_notifications import record_order_events
from dbskit.market.services.order_view import order_dto
from dbskit.storage.db import Database
from dbskit.storage.order_warnings import record_warnings
from dbskit.storage.orders import load_order, load_orders, read_order, save_order
from dbskit.storage.tables import orders
from dbskit.storage.types import from_micros, to_micros

# Further rules that may refuse a store's status change (for example the marking rule, R-025)
# are checks called with the transaction, the locked order and the decided change; they raise an
# ApiError to refuse. The service consults every one before it writes.
StatusPrecondition = Callable[[Connection, Order, Decision], None]
STATUS_PRECONDITIONS: tuple[StatusPrecondition, ...] = (marking_precondition,)
UPDATE_ORDER_STATUS: Final = "updateOrderStatus"


class OrderNotFound(NotFound):
    def __init__(self, order_id: int) -> None:
        super().__init__(Messages.ORDER_NOT_FOUND.format(order_id=order_id))  # OQ-13


def require_order(
    conn: Connection, *, campaign_id: int, order_id: int, for_update: bool = False
) -> Order:
    order = load_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=for_update)
    if order is None:
        raise OrderNotFound(order_id)
    return order


async def get_order(db: Database, *, campaign_id: int, order_id: int) -> Order:
    """getOrder (R-119): test orders are returned too (OQ-22)."""
    order = await read_order(db, campaign_id=campaign_id, order_id=order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


def apply_decision(order: Order, decision: Decision, *, now: datetime) -> Order:
    """The order after a decided change (status times, PROCESSING start, pending request)."""
    status, substatus = decision.target
    entering_processing = status is OrderStatus.PROCESSING and order.status is not status
    closing = status in {OrderStatus.CANCELLED, OrderStatus.DELIVERED}
    return replace(
        order,
        status=status,
        substatus=substatus,
        updated_at=now,
        status_updated_at=now,
        processing_since=now if entering_processing else order.processing_since,
        real_delivery_date=decision.real_delivery_date or order.real_delivery_date,
        # a closed order has no open cancellation request any more.
        cancellation_requested_at=None if closing else order.cancellation_requested_at,
        cancellation_request_substatus=None if closing else order.cancellation_request_substatus,
    )


async def update_order_status(
    db: Database,
    *,
    campaign_id: int,
    order_id: int,
    change: OrderStatusChangeDTO,
    now: datetime,
    preconditions: Sequence[StatusPrecondition] = STATUS_PRECONDITIONS,
    call_warnings: Sequence[CallWarning] = (),
) -> Order:
    """updateOrderStatus (R-098..R-100, R-103, R-104; OQ-23, OQ-24, OQ-26). An accepted call's
    warnings go to the sandbox order view in the same transaction."""
    wanted = StatusChange(
        status=OrderStatus(change.status),
        substatus=change.substatus,
        real_delivery_date=change.real_delivery_date,
    )

    def work(conn: Connection) -> Order:
        order = require_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=True)
        decision = decide_store_change(order, wanted, now=now)
        updated = order  # OQ-23: the status it already has is 200 and changes nothing
        if decision.changed:
            for check in preconditions:
                check(conn, order, decision)
            updated = apply_decision(order, decision, now=now)
            save_order(conn, updated)
            record_order_events(conn, before=order, after=updated, now=now)  # OQ-25
        record_warnings(
            conn,
            order_id=order_id,
            operation_id=UPDATE_ORDER_STATUS,
            warnings=call_warnings,
            now=now,
        )
        return updated

    return await db.run_write(work)


# --- getOrders ----------------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class OrdersPage:
    orders: list[Order]
    pager: FlippingPagerDTO | None
    paging: ForwardScrollingPagerDTO | None

    def response(self) -> GetOrdersResponse:
        return GetOrdersResponse(
            pager=self.pager, orders=[order_dto(order) for order in self.orders], paging=self.paging
        )


def _token_page(
    conn: Connection, where: list[ColumnElement[bool]], paging: TokenPaging
) -> OrdersPage:
    if paging.after is not None:
        where = [*where, _after(paging.after)]
    found = load_orders(conn, where=where, limit=paging.limit + 1)
    page = found[: paging.limit]
    next_token = None
    if len(found) > paging.limit:
        last = page[-1]
        next_token = Cursor(to_micros(last.created_at), last.id).token()
    return OrdersPage(page, None, ForwardScrollingPagerDTO(next_page_token=next_token))


def _numbered_page(
    conn: Connection, where: list[ColumnElement[bool]], paging: PagePaging
) -> OrdersPage:
    total = conn.execute(select(func.count()).select_from(orders).where(*where)).scalar_one()
    offset = (paging.page - 1) * paging.page_size
    page = load_orders(conn, where=where, limit=paging.page_size, offset=offset)
    pager = FlippingPagerDTO(
        total=total,
        from_=offset + 1 if page else 0,
        to=offset + len(page),
        current_page=paging.page,
        pages_count=-(-total // paging.page_size),
        page_size=paging.page_size,
    )
    return OrdersPage(page, pager, None)


async def get_orders(db: Database, *, campaign_id: int, query: OrdersQuery) -> OrdersPage:
    """getOrders (R-108, R-120): newest first; test orders only with ``fake=true``."""

    def work(conn: Connection) -> OrdersPage:
        where = _filters(query, campaign_id)
        if isinstance(query.paging, TokenPaging):
            return _token_page(conn, where, query.paging)
        return _numbered_page(conn, where, query.paging)

    return await db.run_read(work)
