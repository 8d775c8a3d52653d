"""Market-side events on demand (``/sandbox/.../triggers/...``): what the Market or the buyer
does, made to happen now. Each runs in one write transaction and answers the notifications it
recorded, as the outbox shows them.

The buyer's cancellation and receipt are the Market's own status moves (``sandbox_orders``,
R-102, R-097): a trigger names one move; a PING is the check the Market makes of a notification
URL (R-117); a delivery date change is ``ORDER_UPDATED`` (R-114).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from dbskit.contract.enums import OrderStatus, OrderSubstatus
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.notifications import OrderUpdateType, order_updated, ping
from dbskit.contract.sandbox_campaigns import DeliveryDateChangeTrigger, TriggeredNotifications
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.delivery_date_change import move_delivery_dates
from dbskit.market.domain.status_model import StatusChange
from dbskit.market.services.orders import require_order
from dbskit.market.services.outbox import record_notification
from dbskit.market.services.sandbox_orders import make_market_move
from dbskit.market.storage.access import campaign_access, campaign_notification_url
from dbskit.market.storage.orders import save_order
from dbskit.market.storage.outbox import load_messages
from dbskit.market.storage.status_history import Actor

# The buyer confirmed that the order reached them (docs:dbs-order-status-model.md).
BUYER_RECEIVED = StatusChange(status=OrderStatus.DELIVERY, substatus=OrderSubstatus.USER_RECEIVED)


async def _run(
    db: Database, campaign_id: int, work: Callable[[Transaction], list[int]]
) -> TriggeredNotifications:
    def recorded(conn: Transaction) -> TriggeredNotifications:
        ids = work(conn)
        messages = load_messages(conn, campaign_id=campaign_id, message_ids=ids) if ids else []
        return TriggeredNotifications(notifications=messages)

    return await db.run_write(recorded)


async def send_ping(db: Database, *, campaign_id: int, now: datetime) -> TriggeredNotifications:
    """R-117: the Market's check of the campaign's notification URL."""

    def work(conn: Transaction) -> list[int]:
        if campaign_access(conn, campaign_id) is None:
            raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
        message_id = record_notification(
            conn,
            campaign_id=campaign_id,
            order_id=None,
            payload=ping(time=now),
            notification_url=campaign_notification_url(conn, campaign_id),
            now=now,
        )
        return [message_id]

    return await _run(db, campaign_id, work)


async def buyer_cancels(
    db: Database, *, campaign_id: int, order_id: int, reason: OrderSubstatus, now: datetime
) -> TriggeredNotifications:
    """R-102: cancelled at once while PROCESSING; a request for the store once DELIVERY or
    PICKUP."""
    wanted = StatusChange(status=OrderStatus.CANCELLED, substatus=reason)
    return await _run(
        db,
        campaign_id,
        lambda conn: (
            make_market_move(
                conn,
                campaign_id=campaign_id,
                order_id=order_id,
                wanted=wanted,
                now=now,
                actor=Actor.BUYER,
            ).notification_ids
        ),
    )


async def buyer_receives(
    db: Database, *, campaign_id: int, order_id: int, now: datetime
) -> TriggeredNotifications:
    """The buyer confirms receipt: DELIVERY/USER_RECEIVED (R-097)."""
    return await _run(
        db,
        campaign_id,
        lambda conn: (
            make_market_move(
                conn,
                campaign_id=campaign_id,
                order_id=order_id,
                wanted=BUYER_RECEIVED,
                now=now,
                actor=Actor.BUYER,
            ).notification_ids
        ),
    )


async def change_delivery_dates(
    db: Database,
    *,
    campaign_id: int,
    order_id: int,
    change: DeliveryDateChangeTrigger,
    now: datetime,
) -> TriggeredNotifications:
    """The Market moves the delivery dates: ``ORDER_UPDATED`` / ``DELIVERY_DATE_UPDATED``."""

    def work(conn: Transaction) -> list[int]:
        order = require_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=True)
        moved = move_delivery_dates(
            order, from_date=change.from_date, to_date=change.to_date, now=now
        )
        if moved is None:
            return []
        save_order(conn, moved, previous=order, actor=Actor.MARKET)
        notification = order_updated(
            order_id=order_id,
            campaign_id=campaign_id,
            update_type=OrderUpdateType.DELIVERY_DATE_UPDATED,
            updated_at=now,
        )
        message_id = record_notification(
            conn,
            campaign_id=campaign_id,
            order_id=order_id,
            payload=notification,
            notification_url=campaign_notification_url(conn, campaign_id),
            now=now,
        )
        return [message_id]

    return await _run(db, campaign_id, work)
