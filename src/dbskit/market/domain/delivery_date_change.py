"""The Market moves an order's delivery dates (the buyer agreed a new day with the Market): the
store hears of it through ``ORDER_UPDATED`` with ``DELIVERY_DATE_UPDATED`` (R-114)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Final

from dbskit.contract.enums import OrderStatus
from dbskit.contract.errors import BadRequest
from dbskit.market.domain.order import Order

# Orders still on their way: a closed order has no delivery left to move.
OPEN_STATUSES: Final = frozenset({OrderStatus.PROCESSING, OrderStatus.DELIVERY, OrderStatus.PICKUP})
NOT_OPEN = "Order {order_id} is {status}: only an order in {allowed} has delivery dates to move"
DIGITAL = "Order {order_id} is DIGITAL: its goods are not delivered on a date"


def move_delivery_dates(
    order: Order, *, from_date: date, to_date: date | None, now: datetime
) -> Order | None:
    """The order with its new delivery dates, or None when they are the ones it has."""
    if order.is_digital:
        raise BadRequest(DIGITAL.format(order_id=order.id))
    if order.status not in OPEN_STATUSES:
        raise BadRequest(
            NOT_OPEN.format(
                order_id=order.id,
                status=order.status.value,
                allowed=", ".join(sorted(status.value for status in OPEN_STATUSES)),
            )
        )
    if (order.delivery_from_date, order.delivery_to_date) == (from_date, to_date):
        return None
    return replace(order, delivery_from_date=from_date, delivery_to_date=to_date, updated_at=now)
