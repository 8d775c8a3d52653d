"""Reading a notification the Market POSTs to the store (R-114): the body to a contract model,
the key that recognises a repeat, and what the store keeps of it.

Anything the store cannot read is ``WrongEventFormat`` (the route's 400 WRONG_EVENT_FORMAT,
R-115): an empty or non-UTF-8 body, not a JSON object, no or an unknown ``notificationType``,
a known type with a required field missing or of the wrong type (the message names the field).
Fields the store does not know are ignored: the Market adds fields over time, and a 400 is never
retried (R-116), so refusing one would lose the notification for good.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from dbskit.contract import notifications as contract
from dbskit.contract.notifications import OTHER_NOTIFICATION_MODELS, BarePing, NotificationType
from dbskit.contract.validation import violation_message

_CONTRACT_MODELS: dict[NotificationType, type[BaseModel]] = {
    NotificationType.PING: contract.PingNotification,
    NotificationType.ORDER_CREATED: contract.OrderCreatedNotification,
    NotificationType.ORDER_STATUS_UPDATED: contract.OrderStatusUpdatedNotification,
    NotificationType.ORDER_CANCELLED: contract.OrderCancelledNotification,
    NotificationType.ORDER_CANCELLATION_REQUEST: contract.OrderCancellationRequestNotification,
    NotificationType.ORDER_UPDATED: contract.OrderUpdatedNotification,
}
MODELS: dict[NotificationType, type[BaseModel]] = {**_CONTRACT_MODELS, **OTHER_NOTIFICATION_MODELS}

# The field that carries the event's time on the Market's clock, per type.
_EVENT_TIME_FIELDS = (
    "created_at",
    "updated_at",
    "cancelled_at",
    "requested_at",
    "sent_at",
    "started_at",
    "finished_at",
    "time",
)
_DEDUP_DIGEST_CHARS = 40  # 160 bits of SHA-256: no two notifications meet by chance

MESSAGE_EMPTY = "The body is empty: a notification is a JSON object"
MESSAGE_NOT_UTF8 = "The body is not UTF-8 text"
MESSAGE_NOT_JSON = "The body is not a JSON document: {problem}"
MESSAGE_NOT_OBJECT = "The body is not a JSON object"
MESSAGE_NO_TYPE = "Field notificationType is missing"
MESSAGE_UNKNOWN_TYPE = "notificationType {value} is not a notification type the store knows"


class WrongEventFormat(Exception):
    """A notification the store cannot read; the message says what is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ReceivedNotification:
    type: NotificationType
    model: BaseModel
    document: dict[str, Any]  # the model as JSON, official names: what the store keeps
    dedup_key: str
    order_id: int | None
    campaign_id: int | None
    event_at: datetime | None  # the Market's time of the event

    @property
    def is_ping(self) -> bool:
        return self.type is NotificationType.PING


def read_notification(body: bytes) -> ReceivedNotification:
    document = _json_object(body)
    raw_type = document.get("notificationType")
    if raw_type is None:
        raise WrongEventFormat(MESSAGE_NO_TYPE)
    try:
        notification_type = NotificationType(raw_type)
    except ValueError:
        raise WrongEventFormat(MESSAGE_UNKNOWN_TYPE.format(value=json.dumps(raw_type))) from None
    model_class = MODELS[notification_type]
    if notification_type is NotificationType.PING and "time" not in document:
        model_class = BarePing  # the spec requires no field of PING but its type
    try:
        model = model_class.model_validate(_known_fields(model_class, document))
    except ValidationError as exc:
        raise WrongEventFormat(violation_message(exc.errors(include_url=False)[0])) from None
    kept = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return ReceivedNotification(
        type=notification_type,
        model=model,
        document=kept,
        dedup_key=dedup_key(notification_type, model.model_dump(by_alias=True, exclude_none=True)),
        order_id=getattr(model, "order_id", None),
        campaign_id=getattr(model, "campaign_id", None),
        event_at=event_time(model),
    )


def dedup_key(notification_type: NotificationType, fields: dict[str, Any]) -> str:
    """The same event told twice has the same key: its type and every field, as parsed (so
    ``10:00:00.5Z`` and ``13:00:00.500+03:00`` are one time)."""
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_utc_text
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:_DEDUP_DIGEST_CHARS]
    return f"{notification_type.value}:{digest}"


def _utc_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} in a notification")


def event_time(model: BaseModel) -> datetime | None:
    for name in _EVENT_TIME_FIELDS:
        value = getattr(model, name, None)
        if isinstance(value, datetime):
            return value
    return None


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise WrongEventFormat(MESSAGE_EMPTY)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WrongEventFormat(MESSAGE_NOT_UTF8) from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise WrongEventFormat(MESSAGE_NOT_JSON.format(problem=exc)) from None
    if not isinstance(document, dict):
        raise WrongEventFormat(MESSAGE_NOT_OBJECT)
    return document


def _known_fields(model_class: type[BaseModel], document: dict[str, Any]) -> dict[str, Any]:
    """The fields the model has, by their JSON names (the contract's order models forbid the
    rest, as the emulator writes them exactly)."""
    names = {field.alias or name for name, field in model_class.model_fields.items()}
    return {name: value for name, value in document.items() if name in names}
