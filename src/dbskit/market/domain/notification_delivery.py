"""Delivering one API notification: where it goes, how an answer is judged, when to retry.

Pure rules (no I/O): R-113 (the path and the transport), R-115 (which answers count as
delivered), R-116 (the retry schedule and the 14-day limit), R-117 (PING is not retried).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import ValidationError

from dbskit.contract import limits
from dbskit.contract.notifications import (
    DeliveryErrorSubtype,
    DeliveryErrorType,
    NotificationAccepted,
    NotificationErrorAnswer,
)
from dbskit.contract.outbox import AttemptResult
from dbskit.hosts import is_loopback_host

NOTIFICATION_PATH = "/notification"  # POST <store URL>/notification
JSON_MEDIA_TYPE = "application/json"

PLAIN_HTTP_NOT_LOOPBACK = (
    "Plain http is accepted for loopback hosts only; the Market calls stores over HTTPS (R-113)"
)
UNUSABLE_URL = "The notification URL {url!r} is not an absolute http or https URL"


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one attempt went. ``retry`` says whether the R-116 schedule applies."""

    result: AttemptResult
    retry: bool
    http_status: int | None = None
    error_type: DeliveryErrorType | None = None
    error_subtype: DeliveryErrorSubtype | None = None
    message: str | None = None

    @classmethod
    def failed(
        cls,
        error_type: DeliveryErrorType,
        subtype: DeliveryErrorSubtype,
        message: str,
        *,
        http_status: int | None = None,
        retry: bool = True,
    ) -> Verdict:
        return cls(AttemptResult.FAILED, retry, http_status, error_type, subtype, message)


def notification_endpoint(configured_url: str) -> str:
    """The URL the Market POSTs to: the configured store URL followed by ``/notification``."""
    return configured_url.rstrip("/") + NOTIFICATION_PATH


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


def judge_answer(status: int, content_type: str | None, body: bytes) -> Verdict:
    """R-115/R-116: 200 with a valid body is delivered, 400 is final, anything else is retried."""
    if status == 400:
        return Verdict(
            AttemptResult.REJECTED,
            retry=False,
            http_status=status,
            error_type=DeliveryErrorType.CANT_GET_RESPONSE,
            error_subtype=DeliveryErrorSubtype.HTTP,
            message=_store_error(body) or "The store rejected the notification (400)",
        )
    if status != 200:
        # any code other than 200 and 400 counts as 500.
        return Verdict.failed(
            DeliveryErrorType.CANT_GET_RESPONSE,
            DeliveryErrorSubtype.HTTP,
            _store_error(body) or f"The store answered {status} instead of 200",
            http_status=status,
        )
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        return Verdict.failed(
            DeliveryErrorType.CANT_GET_RESPONSE,
            DeliveryErrorSubtype.UNSUPPORTED_MEDIA_TYPE,
            f"The answer's Content-Type is {content_type or 'missing'!s}, not {JSON_MEDIA_TYPE}",
            http_status=status,
        )
    try:
        NotificationAccepted.model_validate_json(body)
    except ValidationError as exc:
        if _parses(body):
            return Verdict.failed(
                DeliveryErrorType.INVALID_RESPONSE,
                DeliveryErrorSubtype.INVALID_DATA,
                _first_problem(exc),
                http_status=status,
            )
        return Verdict.failed(
            DeliveryErrorType.INVALID_RESPONSE,
            DeliveryErrorSubtype.CANT_PARSE_RESPONSE,
            "The answer is not a JSON document in UTF-8",
            http_status=status,
        )
    return Verdict(AttemptResult.DELIVERED, retry=False, http_status=status)


def _parses(body: bytes) -> bool:
    try:
        json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "the body"
    return f"Invalid answer: {where}: {error['msg']}"


def _store_error(body: bytes) -> str | None:
    """The store's ``{"error": {"type", "message"}}`` as text, when it sent one."""
    try:
        answer = NotificationErrorAnswer.model_validate_json(body)
    except ValidationError:
        return None
    if answer.error is None or (answer.error.type is None and answer.error.message is None):
        return None
    kind = answer.error.type.value if answer.error.type else "?"
    return f"{kind}: {answer.error.message or ''}".rstrip(": ")


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
