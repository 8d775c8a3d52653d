"""Test orders through the sandbox: placing them (R-107), the Market's own status moves (R-097,
R-101, R-102, R-105), the 48-hour buyer-cancellation flow and the 10-day purge (R-111).

Delayed effects are scheduled events on the sandbox clock, written in the transaction that causes
them; their handlers re-read the order and act only if it is still in the state that scheduled
them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from dbskit.contract import limits
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.operations import Profile
from dbskit.contract.sandbox import SandboxOrderRequest, SandboxStatusRequest
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.order import Order
from dbskit.market.domain.status_model import (
    Outcome,
    StatusChange,
    cancellation_due,
    decide_market_move,
)
from dbskit.market.domain.test_orders import IdSource, build_test_order
from dbskit.market.services.order_notifications import record_order_events
from dbskit.market.services.orders import require_order
from dbskit.market.services.scheduler import ScheduledEvent, Scheduler, schedule
from dbskit.market.storage.access import campaign_access
from dbskit.market.storage.orders import (
    delete_order,
    insert_order,
    load_order,
    order_exists,
    save_order,
)
from dbskit.market.storage.status_history import Actor

PURGE_TEST_ORDER: Final = "orders.purge_test_order"
BUYER_CANCELLATION_DUE: Final = "orders.buyer_cancellation_due"

_ids = IdSource(random.SystemRandom())


OrderBuilder = Callable[[int, list[int]], Order]  # (order id, item ids) -> the new order


async def create_test_order(
    db: Database,
    *,
    campaign_id: int,
    request: SandboxOrderRequest,
    now: datetime,
    retention: timedelta,
    profile: Profile = Profile.SEED,
    ids: IdSource = _ids,
) -> Order:
    """Place a test order (``fake: true``) and schedule its purge after ``retention`` (R-111)."""

    def build(order_id: int, item_ids: list[int]) -> Order:
        return build_test_order(
            request,
            campaign_id=campaign_id,
            order_id=order_id,
            item_ids=item_ids,
            now=now,
            profile=profile,
            ids=ids,
        )

    return await place_test_order(
        db,
        campaign_id=campaign_id,
        item_count=len(request.items),
        build=build,
        now=now,
        retention=retention,
        ids=ids,
    )


async def place_test_order(
    db: Database,
    *,
    campaign_id: int,
    item_count: int,
    build: OrderBuilder,
    now: datetime,
    retention: timedelta,
    ids: IdSource = _ids,
) -> Order:
    """Store the order ``build`` makes with fresh ids, announce it (OQ-25) and schedule its
    purge (R-111), in one transaction."""
    return await db.run_write(
        lambda conn: insert_test_order(
            conn,
            campaign_id=campaign_id,
            item_count=item_count,
            build=build,
            now=now,
            retention=retention,
            ids=ids,
        )
    )


def insert_test_order(
    conn: Transaction,
    *,
    campaign_id: int,
    item_count: int,
    build: OrderBuilder,
    now: datetime,
    retention: timedelta,
    ids: IdSource = _ids,
    notify: bool = True,
) -> Order:
    """``place_test_order`` inside the caller's write transaction; ``notify=False`` (a scenario
    file's load) records no ORDER_CREATED."""
    if campaign_access(conn, campaign_id) is None:
        raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
    order_id = ids.order_id()
    while order_exists(conn, order_id):
        order_id = ids.order_id()  # a random id that is taken: draw again
    order = build(order_id, ids.item_ids(item_count))
    insert_order(conn, order)
    if notify:
        record_order_events(conn, before=None, after=order, now=now)  # OQ-25
    schedule(
        conn,
        kind=PURGE_TEST_ORDER,
        due_at=now + retention,
        payload={"orderId": order.id},
        now=now,
    )
    return order


async def move_order(
    db: Database, *, campaign_id: int, order_id: int, request: SandboxStatusRequest, now: datetime
) -> Order:
    """A Market-side move from ``MARKET_MOVES``; a buyer's cancellation of an order in
    DELIVERY/PICKUP becomes a request that cancels the order after 48 hours (R-102)."""
    wanted = StatusChange(status=request.status, substatus=request.substatus)

    def work(conn: Transaction) -> Order:
        return make_market_move(
            conn,
            campaign_id=campaign_id,
            order_id=order_id,
            wanted=wanted,
            now=now,
            actor=Actor.SANDBOX,
        ).order

    return await db.run_write(work)


@dataclass(frozen=True, slots=True)
class MarketMove:
    order: Order  # as it is after the move
    notification_ids: list[int]  # the notifications the move recorded (OQ-25)


def make_market_move(
    conn: Transaction,
    *,
    campaign_id: int,
    order_id: int,
    wanted: StatusChange,
    now: datetime,
    actor: Actor,
    notify: bool = True,
) -> MarketMove:
    """``move_order`` inside the caller's write transaction, made by ``actor`` (the status
    history's); ``notify=False`` (a scenario file's load) records no notification."""
    order = require_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=True)
    decision = decide_market_move(order, wanted)
    if not decision.changed:
        return MarketMove(order, [])
    if decision.outcome is Outcome.CANCELLATION_REQUEST:
        updated = order.request_cancellation(decision.target[1], now=now)
        schedule(
            conn,
            kind=BUYER_CANCELLATION_DUE,
            due_at=now + limits.BUYER_CANCELLATION_WINDOW,
            payload={
                "campaignId": campaign_id,
                "orderId": order_id,
                "requestedAt": now.isoformat(),
            },
            now=now,
        )
    else:
        updated = order.apply(decision, now=now)
    save_order(conn, updated, previous=order, actor=actor)
    if not notify:
        return MarketMove(updated, [])
    notification_ids = record_order_events(conn, before=order, after=updated, now=now)  # OQ-25
    return MarketMove(updated, notification_ids)


def register_order_events(scheduler: Scheduler) -> None:
    def purge(conn: Transaction, event: ScheduledEvent) -> str:
        deleted = delete_order(conn, int(event.payload["orderId"]))
        return "purged" if deleted else "already gone"

    def cancel_unanswered(conn: Transaction, event: ScheduledEvent) -> str:
        campaign_id = int(event.payload["campaignId"])
        order_id = int(event.payload["orderId"])
        requested_at = datetime.fromisoformat(event.payload["requestedAt"])
        order = load_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=True)
        if order is None or not cancellation_due(order, requested_at):
            return "answered or closed"
        cancelled = order.cancel_unanswered(now=event.due_at)
        save_order(conn, cancelled, previous=order, actor=Actor.MARKET)
        record_order_events(conn, before=order, after=cancelled, now=event.due_at)
        return "cancelled"

    scheduler.register_writes(PURGE_TEST_ORDER, purge)
    scheduler.register_writes(BUYER_CANCELLATION_DUE, cancel_unanswered)
