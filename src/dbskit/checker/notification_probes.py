"""The notifications ``dbskit check-notifications`` sends, and the deadline of each.

By default only what no store acts on: a PING (R-117), a notification of a type no version of
the spec lists, and the same PING again. With ``order_probes`` one notification of each order
type the Market sends (OQ-25), built with the contract's builders, and ORDER_CREATED again: a
real store may act on them, so they are sent only when asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dbskit.contract import limits
from dbskit.contract.notifications import (
    Notification,
    OrderUpdateType,
    order_cancellation_request,
    order_cancelled,
    order_created,
    order_status_updated,
    order_updated,
    payload_json,
    ping,
)

# A notificationType no version of the spec lists, so that no store can know it.
UNKNOWN_TYPE = "DBSKIT_CHECK_UNKNOWN_TYPE"
# The order the order notifications name, unless the seller gives a test order of their own.
DEFAULT_CAMPAIGN_ID = 1
DEFAULT_ORDER_ID = 1
CHECK_OFFER_ID = "dbskit-check-offer"

NOTIFICATION_DEADLINE = limits.NOTIFICATION_TIMEOUT.total_seconds()
PING_DEADLINE = limits.PING_TIMEOUT_2026.total_seconds()  # C-13: the 2026 notification spec


@dataclass(frozen=True, slots=True)
class Probe:
    """One notification to send: ``body`` exactly as it goes out, answered within ``deadline``."""

    name: str
    notification_type: str
    body: bytes
    deadline: float

    def again(self, name: str) -> Probe:
        """The same bytes sent once more, as the Market may (R-117)."""
        return Probe(name, self.notification_type, self.body, self.deadline)


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _probe(name: str, notification: Notification, deadline: float) -> Probe:
    document = payload_json(notification)
    return Probe(name, document["notificationType"], _encode(document), deadline)


def default_probes(now: datetime, *, ping_deadline: float = PING_DEADLINE) -> list[Probe]:
    """PING, a type no store knows, and the PING again (the store acts on none of them)."""
    first = _probe("ping", ping(time=now), ping_deadline)
    unknown = {"notificationType": UNKNOWN_TYPE, "time": now.isoformat()}
    return [
        first,
        Probe("unknown-type", UNKNOWN_TYPE, _encode(unknown), NOTIFICATION_DEADLINE),
        first.again("repeat"),
    ]


def order_probes(now: datetime, *, campaign_id: int, order_id: int) -> list[Probe]:
    """One notification of each order type the Market sends, in an order's life's order, and
    ORDER_CREATED again right after the first."""
    ids: dict[str, Any] = {"order_id": order_id, "campaign_id": campaign_id}
    items = [(CHECK_OFFER_ID, 1)]
    created = _probe(
        "order-created", order_created(**ids, items=items, created_at=now), NOTIFICATION_DEADLINE
    )
    later: list[tuple[str, Notification]] = [
        (
            "order-status-updated",
            order_status_updated(**ids, status="PROCESSING", substatus="STARTED", updated_at=now),
        ),
        (
            "order-updated",
            order_updated(**ids, update_type=OrderUpdateType.DELIVERY_DATE_UPDATED, updated_at=now),
        ),
        ("order-cancellation-request", order_cancellation_request(**ids, requested_at=now)),
        ("order-cancelled", order_cancelled(**ids, items=items, cancelled_at=now)),
    ]
    return [
        created,
        created.again("order-repeat"),
        *(_probe(name, notification, NOTIFICATION_DEADLINE) for name, notification in later),
    ]
