"""Delivering one API notification: which targets are refused, and when to retry.

Pure rules (no I/O): R-113 (the transport), R-116 (the retry schedule and the 14-day limit),
R-117 (PING is not retried). Where a notification goes and how an answer is judged (R-113,
R-115) lie in ``dbskit.notification_answers``, shared with ``dbskit check-notifications``.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from dbskit.contract import limits
from dbskit.contract.notifications import DeliveryErrorSubtype, DeliveryErrorType
from dbskit.hosts import is_loopback_host
from dbskit.notification_answers import Verdict

PLAIN_HTTP_NOT_LOOPBACK = (
    "Plain http is accepted for loopback hosts only; the Market calls stores over HTTPS (R-113)"
)
UNUSABLE_URL = "The notification URL {url!r} is not an absolute http or https URL"


def refuse_target(url: str) -> Verdict | None:
    """A final failure when the URL cannot be used: not http(s), or plain http off loopback.

    The real Market accepts only HTTPS with a CA-signed certificate (R-113); the sandbox also
    allows plain http to loopback hosts so that a store under test needs no certificate.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Verdict.failed(
            DeliveryErrorType.CANT_GET_RESPONSE,
            DeliveryErrorSubtype.SSL_ERROR,
            UNUSABLE_URL.format(url=url),
            retry=False,
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return Verdict.failed(
            DeliveryErrorType.CANT_GET_RESPONSE,
            DeliveryErrorSubtype.SSL_ERROR,
            PLAIN_HTTP_NOT_LOOPBACK,
            retry=False,
        )
    return None


def next_attempt_at(
    *, created_at: datetime, previous_due: datetime, factor: float = 1.0
) -> datetime | None:
    """R-116: when to try again after an attempt that was due at ``previous_due``.

    Every minute in the first hour after the notification was created, every 15 minutes in the
    first day, then hourly; no attempt falls 14 days or more after creation (``None``: give up).
    The schedule follows the previous attempt's *scheduled* time, so moving the sandbox clock
    runs the same attempts whatever the wall clock did. ``factor`` scales every figure (OQ-25).
    """
    age = previous_due - created_at
    interval = None
    for until, every in limits.NOTIFICATION_RETRY_SCHEDULE:
        if age < until * factor:
            interval = every * factor
            break
    if interval is None:
        return None
    due = previous_due + interval
    if due - created_at >= limits.NOTIFICATION_GIVE_UP_AFTER * factor:
        return None
    return due
