"""The sandbox view of the outbox (GET /sandbox/outbox): everything the Market "sent".

dbskit's own document, not the Market's. A message is a buyer e-mail or an API notification; a
notification lists each delivery attempt with the failure class of the Market's notification log.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from dbskit.contract._base import ContractModel
from dbskit.contract.notifications import DeliveryErrorSubtype, DeliveryErrorType


class MessageKind(StrEnum):
    EMAIL = "email"
    NOTIFICATION = "notification"


class MessageState(StrEnum):
    SENT = "SENT"  # an e-mail: handed to the Market's mail system
    NOT_SENT = "NOT_SENT"  # a notification for a campaign without a notification URL
    PENDING = "PENDING"  # a notification waiting for its next attempt
    DELIVERED = "DELIVERED"  # the store answered 200 with a valid body
    REJECTED = "REJECTED"  # the store answered 400: not retried
    FAILED = "FAILED"  # a final failure: an unusable URL, or a PING not accepted
    EXPIRED = "EXPIRED"  # retried for 14 days without success, then dropped


class AttemptResult(StrEnum):
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


class OutboxAttempt(ContractModel):
    number: int
    scheduled_at: datetime = Field(alias="scheduledAt")  # when the R-116 schedule placed it
    attempted_at: datetime = Field(alias="attemptedAt")  # the sandbox clock when it was made
    url: str
    duration_ms: int = Field(alias="durationMs")
    result: AttemptResult
    http_status: int | None = Field(None, alias="httpStatus")
    error_type: DeliveryErrorType | None = Field(None, alias="errorType")
    error_subtype: DeliveryErrorSubtype | None = Field(None, alias="errorSubtype")
    message: str | None = None
    answer: str | None = None  # the store's answer body, cut to ANSWER_MAX_CHARS


class OutboxMessage(ContractModel):
    id: int
    kind: MessageKind
    campaign_id: int = Field(alias="campaignId")
    order_id: int | None = Field(None, alias="orderId")
    created_at: datetime = Field(alias="createdAt")
    state: MessageState
    notification_url: str | None = Field(None, alias="notificationUrl")
    next_attempt_at: datetime | None = Field(None, alias="nextAttemptAt")
    payload: dict[str, Any]
    attempts: list[OutboxAttempt] = Field(default_factory=list)


class OutboxListing(ContractModel):
    messages: list[OutboxMessage]


ANSWER_MAX_CHARS = 2_000  # ours: enough to see an error body, small enough for the listing
