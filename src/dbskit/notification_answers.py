"""How the Market judges a store's answer to an API notification, in the classes of its log.

Shared by the Market's notification sender and ``dbskit check-notifications``, so that the
checker names a failure exactly as the outbox records it. Pure: no HTTP client, no I/O.
R-113 (the path and the media type), R-115 (which answers count as delivered), R-116 (which
failures are retried); the failure classes are those of the Market's notification log
(notes:push-notifications-error-codes.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import ValidationError

from dbskit.contract.notifications import (
    DeliveryErrorSubtype,
    DeliveryErrorType,
    NotificationAccepted,
    NotificationErrorAnswer,
)
from dbskit.contract.outbox import AttemptResult

NOTIFICATION_PATH = "/notification"  # POST <store URL>/notification
JSON_MEDIA_TYPE = "application/json"

REFUSED = "Connection refused by {host}:{port}"
NO_CONNECTION = "No connection within {seconds} s"
NO_ANSWER = "No answer within {seconds} s"


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


def connection_refused(host: str, port: int) -> Verdict:
    """The log class of a store whose port refused the connection."""
    return Verdict.failed(
        DeliveryErrorType.CANT_GET_RESPONSE,
        DeliveryErrorSubtype.CONNECTION_REFUSED,
        REFUSED.format(host=host, port=port),
    )


def no_connection(seconds: float) -> Verdict:
    """The log class of a connection that did not open within ``seconds``."""
    return Verdict.failed(
        DeliveryErrorType.CANT_GET_RESPONSE,
        DeliveryErrorSubtype.CONNECTION_TIMED_OUT,
        NO_CONNECTION.format(seconds=seconds),
    )


def no_answer(seconds: float) -> Verdict:
    """The log class of a connection that opened but brought no answer within ``seconds``."""
    return Verdict.failed(
        DeliveryErrorType.CANT_GET_RESPONSE,
        DeliveryErrorSubtype.READ_TIMED_OUT,
        NO_ANSWER.format(seconds=seconds),
    )


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
