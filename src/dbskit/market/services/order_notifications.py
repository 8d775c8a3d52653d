"""The notifications an order change makes (OQ-25), recorded in the caller's transaction.

``ORDER_CREATED`` when an order is placed; ``ORDER_STATUS_UPDATED`` on every status or substatus
change, the Market's included; ``ORDER_CANCELLED`` besides when the change is a cancellation;
``ORDER_CANCELLATION_REQUEST`` when a buyer asks to cancel an order in DELIVERY or PICKUP (R-102).
Test orders get them like real ones (R-109). They go to the campaign's notification URL.
"""

from __future__ import annotations

from datetime import datetime

from dbskit.contract import notifications
from dbskit.contract.enums import OrderStatus
from dbskit.database.db import Transaction
from dbskit.market.domain.order import Order
from dbskit.market.services.outbox import record_notification
from dbskit.market.storage.access import campaign_notification_url


def _lines(order: Order) -> list[tuple[str, int]]:
    return [(item.offer_id, item.count) for item in order.items]


def record_order_events(
    conn: Transaction, *, before: Order | None, after: Order, now: datetime
) -> list[int]:
    """Record what changed from ``before`` (None: just placed) to ``after``; returns the ids of
    the notifications recorded."""
    payloads: list[notifications.Notification] = []
    if before is None:
        payloads.append(
            notifications.order_created(
                order_id=after.id,
                campaign_id=after.campaign_id,
                items=_lines(after),
                created_at=after.created_at,
            )
        )
    elif (before.status, before.substatus) != (after.status, after.substatus):
        payloads.append(
            notifications.order_status_updated(
                order_id=after.id,
                campaign_id=after.campaign_id,
                status=after.status,
                substatus=after.substatus or "",
                updated_at=now,
            )
        )
        if after.status is OrderStatus.CANCELLED:
            payloads.append(
                notifications.order_cancelled(
                    order_id=after.id,
                    campaign_id=after.campaign_id,
                    items=_lines(after),
                    cancelled_at=now,
                )
            )
    if (
        before is not None
        and after.cancellation_requested_at is not None
        and after.cancellation_requested_at != before.cancellation_requested_at
    ):
        payloads.append(
            notifications.order_cancellation_request(
                order_id=after.id,
                campaign_id=after.campaign_id,
                requested_at=after.cancellation_requested_at,
            )
        )
    if not payloads:
        return []
    url = campaign_notification_url(conn, after.campaign_id)
    return [
        record_notification(
            conn,
            campaign_id=after.campaign_id,
            order_id=after.id,
            payload=payload,
            notification_url=url,
            now=now,
        )
        for payload in payloads
    ]
