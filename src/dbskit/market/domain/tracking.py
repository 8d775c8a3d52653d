"""The rules of delivery/track: the service directory, the allowed statuses and repeats.

R-018, R-019, R-021 and our decision OQ-06: a new call replaces the order's current track (the
earlier ones stay in the sandbox history); a track code already used by another order of the
campaign is rejected only with ``strict_track_codes``.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from enum import StrEnum

from dbskit.contract.enums import OrderStatus
from dbskit.contract.errors import BadRequest, ErrorCode, InvalidOrderStatus, Messages
from dbskit.contract.tracking import SetOrderDeliveryTrackCodeRequest
from dbskit.market.domain.order import Order, Track

TRACK_STATUSES = (OrderStatus.PROCESSING, OrderStatus.DELIVERY, OrderStatus.PICKUP)


class UnknownDeliveryService(BadRequest):
    """``deliveryServiceId`` not in the GET v2/delivery/services directory (R-018, OQ-06)."""

    def __init__(self, service_id: int) -> None:
        super().__init__(Messages.UNKNOWN_DELIVERY_SERVICE.format(value=service_id))


class TrackCodeAlreadyUsed(BadRequest):
    """The track code belongs to another order of the campaign (OQ-06, strict mode)."""

    default_code = ErrorCode.TRACK_CODE_ALREADY_USED

    def __init__(self, track_code: str, campaign_id: int) -> None:
        super().__init__(
            Messages.TRACK_CODE_ALREADY_USED.format(track_code=track_code, campaign_id=campaign_id)
        )


@dataclass(frozen=True, slots=True)
class TrackedOrder:
    """What delivery/track looks at of an order (an ``Order`` has the same fields)."""

    id: int
    campaign_id: int
    status: OrderStatus
    track: Track | None


class TrackAction(StrEnum):
    SET = "set"  # becomes the current track; the previous one goes to the history
    UNCHANGED = "unchanged"  # the same track again: nothing to record


def set_order_delivery_track_code(
    order: TrackedOrder | Order,
    request: SetOrderDeliveryTrackCodeRequest,
    *,
    delivery_services: Container[int],
    used_by_another_order: bool,
    strict_track_codes: bool = False,
) -> TrackAction:
    """Decide what a delivery/track call does to ``order`` (R-018, R-019, OQ-06)."""
    if request.delivery_service_id not in delivery_services:
        raise UnknownDeliveryService(request.delivery_service_id)
    if order.status not in TRACK_STATUSES:
        raise InvalidOrderStatus(order_id=order.id, status=order.status, allowed=TRACK_STATUSES)
    if strict_track_codes and used_by_another_order:
        raise TrackCodeAlreadyUsed(request.track_code, order.campaign_id)
    track = Track(request.track_code, request.delivery_service_id)
    return TrackAction.UNCHANGED if track == order.track else TrackAction.SET
