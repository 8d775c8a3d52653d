"""``GET /sandbox/campaigns/{campaignId}/orders/{orderId}``: an order and what the Market keeps
behind it. dbskit's own document, not the Market's: ``order`` is exactly getOrder's OrderDTO,
the rest is what a seller cannot see through the Partner API (keys as received, every track,
stored marking codes, lateness, warnings, the outbox, the calls to deprecated methods).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from dbskit.contract._base import ContractModel
from dbskit.contract.call_warnings import WarningCode
from dbskit.contract.enums import DigitalGoodsDeliveryType, InstanceType
from dbskit.contract.identifiers import OrderItemInstance
from dbskit.contract.orders import OrderDTO
from dbskit.contract.outbox import OutboxMessage


class KeyBatchView(ContractModel):
    """The keys of one ``items[]`` element as received, with its slip raw and as e-mailed."""

    codes: list[str]
    activate_till: date = Field(alias="activateTill")
    slip: str  # as the seller sent it
    slip_rendered: str = Field(alias="slipRendered")  # only the R-005 tags, as in the e-mail


class DigitalItemView(ContractModel):
    id: int
    offer_id: str | None = Field(None, alias="offerId")  # absent for an id not in the order
    batches: list[KeyBatchView]


class DigitalKeysView(ContractModel):
    """The keys kept for the order (OQ-01: the last accepted payload) and their e-mail."""

    calls: int  # accepted deliverDigitalGoods calls: the first, replacements, identical repeats
    replacements: int  # calls whose different keys replaced the stored ones before the e-mail
    identical_repeats: int = Field(alias="identicalRepeats")  # calls that changed nothing
    first_received_at: datetime = Field(alias="firstReceivedAt")
    received_at: datetime = Field(alias="receivedAt")  # when the kept keys came
    email_due_at: datetime = Field(alias="emailDueAt")  # OQ-05
    delivered_at: datetime | None = Field(None, alias="deliveredAt")  # the buyer got the keys
    delivered_by: str | None = Field(None, alias="deliveredBy")  # "email", or "chat" (C-07)
    items: list[DigitalItemView]


class LatenessView(ContractModel):
    """The keys against the 30-minute window after the order entered PROCESSING (R-009, OQ-04).

    Without keys, an order still in PROCESSING is measured at the sandbox clock's ``now``.
    """

    window_minutes: int = Field(alias="windowMinutes")
    processing_since: datetime | None = Field(None, alias="processingSince")
    deadline: datetime | None = None
    keys_received_at: datetime | None = Field(None, alias="keysReceivedAt")
    late: bool
    late_by_seconds: float | None = Field(None, alias="lateBySeconds")


class DigitalDeliveryView(ContractModel):
    """How a DIGITAL order reaches the buyer (OQ-26). A Steam gift is to be marked DELIVERED
    within 3 hours of entering PROCESSING; past that, still unmarked, it carries a warning."""

    type: DigitalGoodsDeliveryType
    steam_link: str | None = Field(None, alias="steamLink")
    mark_by: datetime | None = Field(None, alias="markBy")
    warning: str | None = None


class TrackView(ContractModel):
    """One accepted delivery/track call (R-021, OQ-06); ``current`` is the one getOrder shows."""

    track_code: str = Field(alias="trackCode")
    delivery_service_id: int = Field(alias="deliveryServiceId")
    set_at: datetime = Field(alias="setAt")
    current: bool


class MarkingUnitView(OrderItemInstance):
    """The code of one unit as stored by PUT identifiers (R-035, OQ-09), as getOrder shows it
    (``cis`` short, ``cisFull`` as sent), with its place and kind."""

    unit: int  # 1-based, in the order sent
    type: InstanceType


class MarkingItemView(ContractModel):
    id: int
    offer_id: str = Field(alias="offerId")
    count: int
    required_instance_types: list[InstanceType] = Field(alias="requiredInstanceTypes")
    units: list[MarkingUnitView]


class WarningView(ContractModel):
    """A warning about an accepted call: it was answered 200, and would not be everywhere."""

    at: datetime
    operation_id: str = Field(alias="operationId")
    code: WarningCode
    rule: str  # the RULES.md entry behind it
    message: str


class DeprecatedCallView(ContractModel):
    """A call to a deprecated method that named the order (getOrder), from the query log, as
    answered: 200, the 410 of a retired method, or any refusal (OQ-29)."""

    at: datetime
    operation_id: str = Field(alias="operationId")
    status: int
    replacement: str  # the operationId to use instead
    shutdown: date


class SandboxOrderView(ContractModel):
    order: OrderDTO
    digital_keys: DigitalKeysView | None = Field(None, alias="digitalKeys")  # none sent yet
    digital_delivery: DigitalDeliveryView | None = Field(None, alias="digitalDelivery")
    lateness: LatenessView | None = None  # DIGITAL orders that take keys only
    tracks: list[TrackView]
    marking: list[MarkingItemView]
    warnings: list[WarningView]
    outbox: list[OutboxMessage]  # as GET /sandbox/outbox?orderId= lists them
    # The newest calls, oldest first; absent while the order has none.
    deprecated_calls: list[DeprecatedCallView] | None = Field(None, alias="deprecatedCalls")
