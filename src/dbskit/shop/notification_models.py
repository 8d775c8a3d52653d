"""The notification types the emulator never sends (OQ-25) but a store receives from the Market:
returns, reviews, chats and questions. R-114, as the notification spec
(``notification-api.yaml``, the ``*NotificationDTO`` schemas) defines them: required fields and
their types, nothing more. The order types and PING are the contract's
(``dbskit.contract.notifications``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from dbskit.contract._base import CampaignId, ContractModel, OrderId
from dbskit.contract.notifications import NotificationOrderItem, NotificationType

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
