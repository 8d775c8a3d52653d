"""delivery/track (``setOrderDeliveryTrackCode``): one transaction on the locked order.

R-018..R-021, OQ-06: the new track becomes the order's current one; earlier ones stay in the
history. The directory is the one GET v2/delivery/services lists (R-118).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from dbskit.contract.call_warnings import CallWarning
from dbskit.contract.tracking import SetOrderDeliveryTrackCodeRequest
from dbskit.database.db import Database, Transaction
from dbskit.market.domain import tracking
from dbskit.market.domain.delivery_services import DELIVERY_SERVICES
from dbskit.market.domain.order import Track
from dbskit.market.services.orders import OrderNotFound
from dbskit.market.storage.order_warnings import record_warnings
from dbskit.market.storage.tracks import (
    lock_tracked_order,
    set_current_track,
    track_used_by_another_order,
)

OPERATION_ID: Final = "setOrderDeliveryTrackCode"
DIRECTORY_IDS: Final = frozenset(service.id for service in DELIVERY_SERVICES)


async def set_order_delivery_track_code(
    db: Database,
    *,
    campaign_id: int,
    order_id: int,
    request: SetOrderDeliveryTrackCodeRequest,
    now: datetime,
    strict_track_codes: bool,
    call_warnings: Sequence[CallWarning] = (),
) -> tracking.TrackAction:
    """The track, and the call's warnings for the sandbox order view, in one transaction."""

    def work(conn: Transaction) -> tracking.TrackAction:
        order = lock_tracked_order(conn, campaign_id=campaign_id, order_id=order_id)
        if order is None:
            raise OrderNotFound(order_id)
        used = strict_track_codes and track_used_by_another_order(
            conn, campaign_id=campaign_id, order_id=order_id, track_code=request.track_code
        )
        action = tracking.set_order_delivery_track_code(
            order,
            request,
            delivery_services=DIRECTORY_IDS,
            used_by_another_order=used,
            strict_track_codes=strict_track_codes,
        )
        if action is tracking.TrackAction.SET:
            track = Track(request.track_code, request.delivery_service_id)
            set_current_track(
                conn, order_id=order_id, campaign_id=campaign_id, track=track, now=now
            )
        record_warnings(
            conn, order_id=order_id, operation_id=OPERATION_ID, warnings=call_warnings, now=now
        )
        return action

    return await db.run_write(work, short=True)
