"""The order methods of the Partner API: getOrder, getOrders and updateOrderStatus.

Each write is one transaction that locks the order's row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite write transactions hold the database lock), so concurrent status changes on
one order apply one after the other against the state the previous one left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from dbskit.contract.business_orders import AcceptOrderCancellationRequest
from dbskit.contract.call_warnings import CallWarning
from dbskit.contract.enums import OrderStatus
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.orders import (
    FlippingPagerDTO,
    ForwardScrollingPagerDTO,
    OrderStatusChangeDTO,
)
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.cancellation_answer import answer_cancellation, check_answer
from dbskit.market.domain.order import Order
from dbskit.market.domain.orders_query import Cursor, OrdersQuery, PagePaging, TokenPaging
from dbskit.market.domain.status_model import Decision, StatusChange, decide_store_change
from dbskit.market.services.marking_gate import marking_precondition
from dbskit.market.services.order_documents import Render, Shelf
from dbskit.market.services.order_notifications import record_order_events
from dbskit.market.storage.order_lists import Listed, count_orders, find_orders, read_orders
from dbskit.market.storage.order_warnings import record_warnings
from dbskit.market.storage.orders import load_order, read_order, save_order
from dbskit.market.storage.status_history import Actor

# Further rules that may refuse a store's status change (for example the marking rule, R-025)
# are checks called with the transaction, the locked order and the decided change; they raise an
# ApiError to refuse. The service consults every one before it writes.
StatusPrecondition = Callable[[Transaction, Order, Decision], None]
STATUS_PRECONDITIONS: tuple[StatusPrecondition, ...] = (marking_precondition,)
UPDATE_ORDER_STATUS: Final = "updateOrderStatus"


class OrderNotFound(NotFound):
    def __init__(self, order_id: int) -> None:
        super().__init__(Messages.ORDER_NOT_FOUND.format(order_id=order_id))  # OQ-13


def require_order(
    conn: Transaction, *, campaign_id: int, order_id: int, for_update: bool = False
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


async def get_order_document(
    db: Database, shelf: Shelf, *, campaign_id: int, order_id: int, render: Render
) -> bytes:
    """getOrder's answer as ``render`` writes it, kept on the shelf (OQ-22, R-119)."""
    found = shelf.get(render, campaign_id=campaign_id, order_id=order_id)
    if found is None:
        found = shelf.put(render, await get_order(db, campaign_id=campaign_id, order_id=order_id))
    return found


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

    def work(conn: Transaction) -> Order:
        order = require_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=True)
        decision = decide_store_change(order, wanted, now=now)
        updated = order  # OQ-23: the status it already has is 200 and changes nothing
        if decision.changed:
            for check in preconditions:
                check(conn, order, decision)
            updated = order.apply(decision, now=now)
            save_order(conn, updated, previous=order, actor=Actor.SELLER)
            record_order_events(conn, before=order, after=updated, now=now)  # OQ-25
        record_warnings(
            conn,
            order_id=order_id,
            operation_id=UPDATE_ORDER_STATUS,
            warnings=call_warnings,
            now=now,
        )
        return updated

    return await db.run_write(work, short=True)


async def accept_order_cancellation(
    db: Database,
    *,
    campaign_id: int,
    order_id: int,
    request: AcceptOrderCancellationRequest,
    now: datetime,
) -> Order:
    """acceptOrderCancellation (R-102, OQ-28): a confirmed request cancels the order for its
    reason (ORDER_STATUS_UPDATED and ORDER_CANCELLED); a rejected one closes the request and
    leaves the status, so it sends no notification."""
    check_answer(request)  # a body that cannot be right is refused before the order is read

    def work(conn: Transaction) -> Order:
        order = require_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=True)
        answered = answer_cancellation(order, request, now=now)
        save_order(conn, answered, previous=order, actor=Actor.SELLER)
        record_order_events(conn, before=order, after=answered, now=now)  # OQ-25
        return answered

    return await db.run_write(work, short=True)


# --- getOrders ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrdersPage:
    """A page: its orders' documents, and the pager of a numbered page or the paging of a token
    page."""

    documents: list[bytes]
    pager: FlippingPagerDTO | None
    paging: ForwardScrollingPagerDTO | None


def _documents(
    conn: Transaction, listed: Sequence[Listed], render: Render, shelf: Shelf
) -> list[bytes]:
    """The listed orders' documents, in their order: those not on the shelf read and rendered."""
    documents: dict[int, bytes] = {}
    missing: list[int] = []
    for order in listed:
        found = shelf.get(render, campaign_id=order.campaign_id, order_id=order.order_id)
        if found is None:
            missing.append(order.order_id)
        else:
            documents[order.order_id] = found
    for read in read_orders(conn, missing):
        documents[read.id] = shelf.put(render, read)
    return [documents[order.order_id] for order in listed]


def token_page(
    conn: Transaction,
    campaign_ids: Sequence[int],
    query: OrdersQuery,
    paging: TokenPaging,
    *,
    render: Render,
    shelf: Shelf,
) -> OrdersPage:
    """A page after ``paging.after``, and the token of the next one when there is more."""
    found = find_orders(
        conn, campaign_ids=campaign_ids, query=query, limit=paging.limit + 1, after=paging.after
    )
    page = found[: paging.limit]
    next_token = None
    if len(found) > paging.limit:
        last = page[-1]
        next_token = Cursor(last.created_micros, last.order_id).token()
    documents = _documents(conn, page, render, shelf)
    return OrdersPage(documents, None, ForwardScrollingPagerDTO(next_page_token=next_token))


def _numbered_page(
    conn: Transaction,
    campaign_id: int,
    query: OrdersQuery,
    paging: PagePaging,
    *,
    render: Render,
    shelf: Shelf,
) -> OrdersPage:
    total = count_orders(conn, campaign_ids=(campaign_id,), query=query)
    offset = (paging.page - 1) * paging.page_size
    page = find_orders(
        conn, campaign_ids=(campaign_id,), query=query, limit=paging.page_size, offset=offset
    )
    pager = FlippingPagerDTO(
        total=total,
        from_=offset + 1 if page else 0,
        to=offset + len(page),
        current_page=paging.page,
        pages_count=-(-total // paging.page_size),
        page_size=paging.page_size,
    )
    return OrdersPage(_documents(conn, page, render, shelf), pager, None)


async def get_orders(
    db: Database, shelf: Shelf, *, campaign_id: int, query: OrdersQuery, render: Render
) -> OrdersPage:
    """getOrders (R-108, R-120): newest first; test orders only with ``fake=true``."""

    def work(conn: Transaction) -> OrdersPage:
        if isinstance(query.paging, TokenPaging):
            return token_page(conn, (campaign_id,), query, query.paging, render=render, shelf=shelf)
        return _numbered_page(conn, campaign_id, query, query.paging, render=render, shelf=shelf)

    return await db.run_read(work)
