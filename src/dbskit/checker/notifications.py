"""``dbskit check-notifications``: play the Market against a store's ``POST /notification``."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from dbskit.checker.notification_checks import (
    DEFAULT_CHECKS,
    ORDER_CHECKS,
    CheckResult,
    judge_all,
)
from dbskit.checker.notification_probes import (
    DEFAULT_CAMPAIGN_ID,
    DEFAULT_ORDER_ID,
    PING_DEADLINE,
    default_probes,
    order_probes,
)
from dbskit.checker.notification_runner import Exchanges, send_probes
from dbskit.clock import Clock
from dbskit.notification_answers import notification_endpoint


@dataclass(frozen=True, slots=True)
class OrderTarget:
    """The order the order notifications name (R-114): a test order of the seller's, or ids no
    store has."""

    campaign_id: int = DEFAULT_CAMPAIGN_ID
    order_id: int = DEFAULT_ORDER_ID


@dataclass(frozen=True, slots=True)
class NotificationRun:
    exchanges: Exchanges
    results: list[CheckResult]


async def check_notifications(
    url: str,
    *,
    orders: OrderTarget | None = None,
    ping_deadline: float = PING_DEADLINE,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> NotificationRun:
    """Send the probes to ``<url>/notification`` (``url`` as configured in the Market, R-113)
    and judge the answers; the order notifications only with ``orders``."""
    now = (clock or Clock()).now()
    probes = default_probes(now, ping_deadline=ping_deadline)
    checks = list(DEFAULT_CHECKS)
    if orders is not None:
        probes += order_probes(now, campaign_id=orders.campaign_id, order_id=orders.order_id)
        checks += ORDER_CHECKS
    exchanges = await send_probes(notification_endpoint(url), probes, transport=transport)
    return NotificationRun(exchanges, judge_all(exchanges, checks))
