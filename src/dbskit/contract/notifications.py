"""API notifications: what the Market POSTs to ``<store URL>/notification``, and the answers.

R-114 (nspec NotificationType.yaml and the *NotificationDTO.yaml files): the order payloads and
their required fields; times are ISO 8601 with an offset. R-115: the store's answers. The failure
classes are those of the Market's notification log (notes:push-notifications-error-codes.md).

Builders take keyword-only arguments and return the model; ``payload_json(model)`` gives the
exact JSON object the Market sends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter

from dbskit.contract import limits
from dbskit.contract._base import CampaignId, ContractModel, OrderId


class NotificationType(StrEnum):
    """R-114: every type the Market knows; the emulator sends the order ones and PING (OQ-25)."""

    PING = "PING"
    ORDER_CREATED = "ORDER_CREATED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    ORDER_STATUS_UPDATED = "ORDER_STATUS_UPDATED"
    ORDER_RETURN_CREATED = "ORDER_RETURN_CREATED"
    ORDER_CANCELLATION_REQUEST = "ORDER_CANCELLATION_REQUEST"
    ORDER_RETURN_STATUS_UPDATED = "ORDER_RETURN_STATUS_UPDATED"
    ORDER_UPDATED = "ORDER_UPDATED"
    GOODS_FEEDBACK_CREATED = "GOODS_FEEDBACK_CREATED"
    GOODS_FEEDBACK_COMMENT_CREATED = "GOODS_FEEDBACK_COMMENT_CREATED"
    CHAT_CREATED = "CHAT_CREATED"
    CHAT_MESSAGE_SENT = "CHAT_MESSAGE_SENT"
    CHAT_ARBITRAGE_STARTED = "CHAT_ARBITRAGE_STARTED"
    CHAT_ARBITRAGE_FINISHED = "CHAT_ARBITRAGE_FINISHED"
    QUESTION_CREATED = "QUESTION_CREATED"
    QUESTION_ANSWER_CREATED = "QUESTION_ANSWER_CREATED"
    QUESTION_COMMENT_CREATED = "QUESTION_COMMENT_CREATED"


OfferId = Annotated[str, Field(pattern=limits.OFFER_ID_PATTERN)]
# Order status and substatus are sent as the order has them; the order contract owns the enums.
StatusValue = Annotated[str, Field(min_length=1)]


class _Notification(ContractModel):
    # The offerId pattern uses a look-ahead, which only Python's engine supports.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")


class NotificationOrderItem(_Notification):
    offer_id: OfferId = Field(alias="offerId")
    count: int


class PingNotification(_Notification):
    notification_type: Literal[NotificationType.PING] = Field(alias="notificationType")
    time: AwareDatetime


class OrderCreatedNotification(_Notification):
    notification_type: Literal[NotificationType.ORDER_CREATED] = Field(alias="notificationType")
    order_id: OrderId = Field(alias="orderId")
    campaign_id: CampaignId = Field(alias="campaignId")
    items: list[NotificationOrderItem]
    created_at: AwareDatetime = Field(alias="createdAt")


class OrderStatusUpdatedNotification(_Notification):
    notification_type: Literal[NotificationType.ORDER_STATUS_UPDATED] = Field(
        alias="notificationType"
    )
    order_id: OrderId = Field(alias="orderId")
    campaign_id: CampaignId = Field(alias="campaignId")
    status: StatusValue
    substatus: StatusValue
    updated_at: AwareDatetime = Field(alias="updatedAt")


class OrderCancelledNotification(_Notification):
    notification_type: Literal[NotificationType.ORDER_CANCELLED] = Field(alias="notificationType")
    order_id: OrderId = Field(alias="orderId")
    campaign_id: CampaignId = Field(alias="campaignId")
    items: list[NotificationOrderItem]
    cancelled_at: AwareDatetime = Field(alias="cancelledAt")


class OrderCancellationRequestNotification(_Notification):
    notification_type: Literal[NotificationType.ORDER_CANCELLATION_REQUEST] = Field(
        alias="notificationType"
    )
    order_id: OrderId = Field(alias="orderId")
    campaign_id: CampaignId = Field(alias="campaignId")
    requested_at: AwareDatetime = Field(alias="requestedAt")


class OrderUpdateType(StrEnum):
    """R-114: what changed in an ``ORDER_UPDATED`` notification (nspec OrderUpdateType.yaml)."""

    SHIPMENT_DATE_UPDATED = "SHIPMENT_DATE_UPDATED"
    DELIVERY_DATE_UPDATED = "DELIVERY_DATE_UPDATED"
    UNKNOWN = "UNKNOWN"


class OrderUpdatedNotification(_Notification):
    notification_type: Literal[NotificationType.ORDER_UPDATED] = Field(alias="notificationType")
    order_id: OrderId = Field(alias="orderId")
    campaign_id: CampaignId = Field(alias="campaignId")
    update_type: OrderUpdateType = Field(alias="updateType")
    updated_at: AwareDatetime = Field(alias="updatedAt")


Notification = Annotated[
    PingNotification
    | OrderCreatedNotification
    | OrderStatusUpdatedNotification
    | OrderCancelledNotification
    | OrderCancellationRequestNotification
    | OrderUpdatedNotification,
    Field(discriminator="notification_type"),
]
# Given as Any: mypy reads the annotated union as a value, not as the ``type[...]`` pydantic wants.
_NOTIFICATION_FORM: Any = Notification
NOTIFICATION_ADAPTER: TypeAdapter[Notification] = TypeAdapter(_NOTIFICATION_FORM)


def payload_json(notification: Notification) -> dict[str, Any]:
    """The JSON object the Market POSTs: official names, times as ISO 8601 with offset."""
    return notification.model_dump(mode="json", by_alias=True)


def ping(*, time: datetime) -> PingNotification:
    return PingNotification(notification_type=NotificationType.PING, time=time)


def _items(items: Iterable[tuple[str, int]]) -> list[NotificationOrderItem]:
    return [NotificationOrderItem(offer_id=offer_id, count=count) for offer_id, count in items]


def order_created(
    *, order_id: int, campaign_id: int, items: Iterable[tuple[str, int]], created_at: datetime
) -> OrderCreatedNotification:
    """``items`` are ``(offerId, count)`` pairs, one per order line."""
    return OrderCreatedNotification(
        notification_type=NotificationType.ORDER_CREATED,
        order_id=order_id,
        campaign_id=campaign_id,
        items=_items(items),
        created_at=created_at,
    )


def order_status_updated(
    *, order_id: int, campaign_id: int, status: str, substatus: str, updated_at: datetime
) -> OrderStatusUpdatedNotification:
    return OrderStatusUpdatedNotification(
        notification_type=NotificationType.ORDER_STATUS_UPDATED,
        order_id=order_id,
        campaign_id=campaign_id,
        status=status,
        substatus=substatus,
        updated_at=updated_at,
    )


def order_cancelled(
    *, order_id: int, campaign_id: int, items: Iterable[tuple[str, int]], cancelled_at: datetime
) -> OrderCancelledNotification:
    """``items`` are ``(offerId, count)`` pairs, one per order line."""
    return OrderCancelledNotification(
        notification_type=NotificationType.ORDER_CANCELLED,
        order_id=order_id,
        campaign_id=campaign_id,
        items=_items(items),
        cancelled_at=cancelled_at,
    )


def order_cancellation_request(
    *, order_id: int, campaign_id: int, requested_at: datetime
) -> OrderCancellationRequestNotification:
    return OrderCancellationRequestNotification(
        notification_type=NotificationType.ORDER_CANCELLATION_REQUEST,
        order_id=order_id,
        campaign_id=campaign_id,
        requested_at=requested_at,
    )


def order_updated(
    *, order_id: int, campaign_id: int, update_type: OrderUpdateType, updated_at: datetime
) -> OrderUpdatedNotification:
    return OrderUpdatedNotification(
        notification_type=NotificationType.ORDER_UPDATED,
        order_id=order_id,
        campaign_id=campaign_id,
        update_type=update_type,
        updated_at=updated_at,
    )


# --- The store's answers (R-115) -----------------------------------------------------------------

IntegrationText = Annotated[
    str, Field(min_length=1, max_length=limits.NOTIFICATION_NAME_MAX_LENGTH)
]


class NotificationAccepted(ContractModel):
    """200: the notification was processed. ``time`` is when processing started (UTC)."""

    version: IntegrationText = Field(strict=True)
    name: IntegrationText = Field(strict=True)
    time: AwareDatetime = Field(strict=True)


class NotificationErrorType(StrEnum):
    UNKNOWN = "UNKNOWN"
    WRONG_EVENT_FORMAT = "WRONG_EVENT_FORMAT"
    DUPLICATED_EVENT = "DUPLICATED_EVENT"


class NotificationErrorDetail(ContractModel):
    type: NotificationErrorType | None = None
    message: str | None = None


class NotificationErrorAnswer(ContractModel):
    """400 (a wrong notification) or 500 (the store failed): ``{"error": {type, message}}``."""

    error: NotificationErrorDetail | None = None


# --- How a delivery attempt went (the Market's notification log) --------------------------------


class DeliveryErrorType(StrEnum):
    CANT_GET_RESPONSE = "CANT_GET_RESPONSE"
    INVALID_RESPONSE = "INVALID_RESPONSE"


class DeliveryErrorSubtype(StrEnum):
    CONNECTION_REFUSED = "CONNECTION_REFUSED"
    CONNECTION_TIMED_OUT = "CONNECTION_TIMED_OUT"
    HTTP = "HTTP"
    READ_TIMED_OUT = "READ_TIMED_OUT"
    SSL_ERROR = "SSL_ERROR"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    CANT_PARSE_RESPONSE = "CANT_PARSE_RESPONSE"
    INVALID_DATA = "INVALID_DATA"
