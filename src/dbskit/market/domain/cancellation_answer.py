"""acceptOrderCancellation's rules (R-102, OQ-28): which answers a store may give, and when.

Pure: the order and the request in, the answered order out, or the 400 that says what is
missing or why the order cannot be answered for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from dbskit.contract.business_orders import AcceptOrderCancellationRequest
from dbskit.contract.enums import CancellationRejectReason, OrderStatus
from dbskit.contract.errors import BadRequest, Messages
from dbskit.market.domain.order import Order

# a request waits for the store's answer only once the order is with the delivery service.
ANSWERABLE_STATUSES: Final = (OrderStatus.DELIVERY, OrderStatus.PICKUP)


def check_answer(request: AcceptOrderCancellationRequest) -> None:
    """A rejection says why (the docs: ``reason`` is required with ``accepted: false``)."""
    if not request.accepted and request.reason is None:
        raise BadRequest(
            Messages.CANCELLATION_REASON_MISSING.format(
                reasons=", ".join(reason.value for reason in CancellationRejectReason)
            )
        )


def answer_cancellation(
    order: Order, request: AcceptOrderCancellationRequest, *, now: datetime
) -> Order:
    check_answer(request)
    if order.status not in ANSWERABLE_STATUSES:
        raise BadRequest(
            Messages.CANCELLATION_NOT_ANSWERABLE.format(order_id=order.id, status=order.status)
        )
    if not order.cancel_requested:
        raise BadRequest(Messages.NO_CANCELLATION_REQUEST.format(order_id=order.id))
    return order.answer_cancellation(accepted=request.accepted, now=now)
