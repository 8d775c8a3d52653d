"""API notifications: what the Market POSTs to ``<store URL>/notification``, and the answers.

R-114 (nspec NotificationType.yaml and the *NotificationDTO.yaml files): the order payloads and
their required fields; times are ISO 8601 with an offset. The types the emulator never sends
(OQ-25) are here too, as a receiver reads them: unknown fields ignored. R-115: the store's
answers. The failure classes are those of the Market's notification log
(notes:push-notifications-error-codes.md).

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


# --- The types the emulator never sends (OQ-25), as a store receives them ----------------------
# Returns, reviews, chats and questions: R-114, as the notification spec (the
# ``*NotificationDTO`` schemas) defines them: required fields and their types, nothing more.

BusinessId = Annotated[int, Field(ge=1)]  # nspec BusinessId: int64, minimum 1


class _Received(ContractModel):
    # The Market adds fields over time; a field the store does not know is no reason to refuse
    # the notification (a 400 is never retried, R-116).
    model_config = ConfigDict(extra="ignore", regex_engine="python-re")


class BarePing(_Received):
    """A PING without ``time``: the spec's PingNotificationDTO requires no field but its type."""

    notification_type: Literal[NotificationType.PING] = Field(alias="notificationType")


class ReturnType(StrEnum):
    UNREDEEMED = "UNREDEEMED"
    RETURN = "RETURN"


class OrderReturnCreatedNotification(_Received):
    notification_type: Literal[NotificationType.ORDER_RETURN_CREATED] = Field(
        alias="notificationType"
    )
    order_id: OrderId = Field(alias="orderId")
    return_id: int = Field(alias="returnId")
    return_type: ReturnType = Field(alias="returnType")
    campaign_id: CampaignId = Field(alias="campaignId")
    items: list[NotificationOrderItem]
    created_at: AwareDatetime = Field(alias="createdAt")


class ReturnStatuses(_Received):
    """Only the status that changed; the spec's enums are long and grow, so kept as text."""

    refund_status: str | None = Field(None, alias="refundStatus")
    shipment_status: str | None = Field(None, alias="shipmentStatus")


class OrderReturnStatusUpdatedNotification(_Received):
    notification_type: Literal[NotificationType.ORDER_RETURN_STATUS_UPDATED] = Field(
        alias="notificationType"
    )
    order_id: OrderId = Field(alias="orderId")
    return_id: int = Field(alias="returnId")
    campaign_id: CampaignId = Field(alias="campaignId")
    statuses: ReturnStatuses
    updated_at: AwareDatetime = Field(alias="updatedAt")


class GoodsFeedbackCreatedNotification(_Received):
    notification_type: Literal[NotificationType.GOODS_FEEDBACK_CREATED] = Field(
        alias="notificationType"
    )
    feedback_id: int = Field(alias="feedbackId")
    business_id: BusinessId = Field(alias="businessId")
    created_at: AwareDatetime = Field(alias="createdAt")
    published_at: AwareDatetime = Field(alias="publishedAt")


class GoodsFeedbackCommentCreatedNotification(_Received):
    notification_type: Literal[NotificationType.GOODS_FEEDBACK_COMMENT_CREATED] = Field(
        alias="notificationType"
    )
    comment_id: int = Field(alias="commentId")
    business_id: BusinessId = Field(alias="businessId")
    created_at: AwareDatetime = Field(alias="createdAt")


class ChatCreatedNotification(_Received):
    notification_type: Literal[NotificationType.CHAT_CREATED] = Field(alias="notificationType")
    chat_id: int = Field(alias="chatId")
    business_id: BusinessId = Field(alias="businessId")
    created_at: AwareDatetime = Field(alias="createdAt")


class ChatMessageSentNotification(_Received):
    notification_type: Literal[NotificationType.CHAT_MESSAGE_SENT] = Field(alias="notificationType")
    chat_id: int = Field(alias="chatId")
    message_id: str = Field(alias="messageId")
    business_id: BusinessId = Field(alias="businessId")
    sent_at: AwareDatetime = Field(alias="sentAt")


class ChatArbitrageStartedNotification(_Received):
    notification_type: Literal[NotificationType.CHAT_ARBITRAGE_STARTED] = Field(
        alias="notificationType"
    )
    chat_id: int = Field(alias="chatId")
    business_id: BusinessId = Field(alias="businessId")
    started_at: AwareDatetime = Field(alias="startedAt")


class ChatArbitrageFinishedNotification(_Received):
    notification_type: Literal[NotificationType.CHAT_ARBITRAGE_FINISHED] = Field(
        alias="notificationType"
    )
    chat_id: int = Field(alias="chatId")
    business_id: BusinessId = Field(alias="businessId")
    finished_at: AwareDatetime = Field(alias="finishedAt")


class QuestionCreatedNotification(_Received):
    notification_type: Literal[NotificationType.QUESTION_CREATED] = Field(alias="notificationType")
    question_id: int = Field(alias="questionId")
    business_id: BusinessId = Field(alias="businessId")
    created_at: AwareDatetime = Field(alias="createdAt")


class QuestionAnswerCreatedNotification(_Received):
    notification_type: Literal[NotificationType.QUESTION_ANSWER_CREATED] = Field(
        alias="notificationType"
    )
    answer_id: int = Field(alias="answerId")
    business_id: BusinessId = Field(alias="businessId")
    created_at: AwareDatetime = Field(alias="createdAt")


class QuestionCommentCreatedNotification(_Received):
    notification_type: Literal[NotificationType.QUESTION_COMMENT_CREATED] = Field(
        alias="notificationType"
    )
    answer_id: int = Field(alias="answerId")
    comment_id: int = Field(alias="commentId")
    business_id: BusinessId = Field(alias="businessId")
    created_at: AwareDatetime = Field(alias="createdAt")


OTHER_NOTIFICATION_MODELS: dict[NotificationType, type[_Received]] = {
    NotificationType.ORDER_RETURN_CREATED: OrderReturnCreatedNotification,
    NotificationType.ORDER_RETURN_STATUS_UPDATED: OrderReturnStatusUpdatedNotification,
    NotificationType.GOODS_FEEDBACK_CREATED: GoodsFeedbackCreatedNotification,
    NotificationType.GOODS_FEEDBACK_COMMENT_CREATED: GoodsFeedbackCommentCreatedNotification,
    NotificationType.CHAT_CREATED: ChatCreatedNotification,
    NotificationType.CHAT_MESSAGE_SENT: ChatMessageSentNotification,
    NotificationType.CHAT_ARBITRAGE_STARTED: ChatArbitrageStartedNotification,
    NotificationType.CHAT_ARBITRAGE_FINISHED: ChatArbitrageFinishedNotification,
    NotificationType.QUESTION_CREATED: QuestionCreatedNotification,
    NotificationType.QUESTION_ANSWER_CREATED: QuestionAnswerCreatedNotification,
    NotificationType.QUESTION_COMMENT_CREATED: QuestionCommentCreatedNotification,
}


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
