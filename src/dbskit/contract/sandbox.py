"""Documents of the sandbox control plane (/sandbox). They are dbskit's own, not the Market's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from dbskit.contract import limits
from dbskit.contract._base import INT64_MAX, ContractModel, JsonDecimal
from dbskit.contract.deprecations import DeprecationMark
from dbskit.contract.enums import (
    BuyerType,
    DeliveryType,
    DigitalGoodsDeliveryType,
    OrderStatus,
    OrderSubstatus,
    Vat,
)
from dbskit.contract.sandbox_faults import InjectedFault

MAX_ADVANCE_SECONDS = 10 * 365 * 86_400  # ten years: far beyond every documented window


class ClockState(ContractModel):
    now: datetime


class ClockChange(ContractModel):
    """Either ``advanceSeconds`` (forward by that much) or ``now`` (forward to that moment)."""

    advance_seconds: float | None = Field(
        None, alias="advanceSeconds", ge=0, le=MAX_ADVANCE_SECONDS, allow_inf_nan=False
    )
    now: AwareDatetime | None = Field(None, strict=True)  # an ISO 8601 string, not a number

    @model_validator(mode="after")
    def _exactly_one(self) -> ClockChange:
        if (self.advance_seconds is None) == (self.now is None):
            raise ValueError("Exactly one of fields advanceSeconds and now is required")
        return self


class ClockAdvanced(ContractModel):
    """``POST /sandbox/clock``: the new now; the scheduled events this call ran, those the events
    added and that fell due included (``eventsRun``); and the events not yet run that are due
    after the new now (``eventsRemaining``)."""

    now: datetime
    events_run: int = Field(alias="eventsRun")
    events_remaining: int = Field(alias="eventsRemaining")


class LoggedMessage(ContractModel):
    """One side of a logged call: headers (credentials shown as ``***``) and body text."""

    headers: dict[str, str]
    body: str
    body_size: int = Field(alias="bodySize")  # bytes, the whole body
    body_truncated: bool = Field(alias="bodyTruncated")  # body holds only the first bytes


class LoggedRequest(ContractModel):
    """One Partner API call in the query log."""

    id: int
    time: datetime  # on the sandbox clock, when the call arrived
    method: str
    path: str  # as the caller spelled it
    query: str
    status: int
    operation_id: str | None = Field(None, alias="operationId")
    campaign_id: int | None = Field(None, alias="campaignId")
    business_id: int | None = Field(None, alias="businessId")
    # The order the call's path names (getOrder, updateOrderStatus, ...); absent for a call on
    # no single order and for entries written before the log had the column.
    order_id: int | None = Field(None, alias="orderId")
    # Set for every call to a deprecated method, answered or refused (OQ-29).
    deprecated: DeprecationMark | None = None
    # Set for every call a sandbox fault rule answered, cut off or delayed (POST /sandbox/faults).
    injected_fault: InjectedFault | None = Field(None, alias="injectedFault")
    request: LoggedMessage
    response: LoggedMessage


class RequestLogPaging(ContractModel):
    next_page_token: str | None = Field(None, alias="nextPageToken")


class RequestLogPage(ContractModel):
    """``GET /sandbox/requests``: newest first; ``paging.nextPageToken`` fetches older ones.
    ``droppedEntries``: calls the answering instance could not keep since it started."""

    requests: list[LoggedRequest]
    paging: RequestLogPaging
    dropped_entries: int = Field(0, alias="droppedEntries")


# --- Test orders (R-107..R-112) -----------------------------------------------------------------


class SandboxOrderItem(ContractModel):
    model_config = ConfigDict(regex_engine="python-re")  # the R-034 pattern has a look-ahead

    offer_id: str = Field(alias="offerId", pattern=limits.OFFER_ID_PATTERN)
    offer_name: str | None = Field(None, alias="offerName", min_length=1, max_length=1000)
    count: int = Field(ge=1, le=limits.SANDBOX_ORDER_ITEM_COUNT_MAX, strict=True)
    price: JsonDecimal = Field(gt=0, le=limits.SANDBOX_ORDER_PRICE_MAX, decimal_places=2)
    vat: Vat = Vat.NO_VAT
    marking: Literal["CIS", "UIN", "RNPT", "GTD"] | None = None

    @field_validator("offer_id")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()  # SKUs are always trimmed


class SandboxDigitalGoods(ContractModel):
    """How a DIGITAL test order reaches the buyer (spec DigitalGoodsDeliveryDetailsDTO)."""

    type: DigitalGoodsDeliveryType = DigitalGoodsDeliveryType.EMAIL
    # STEAM_GIFT only: the buyer's link; one is made up when none is given.
    steam_link: str | None = Field(None, alias="steamLink", min_length=1, max_length=2048)


class SandboxOrderDelivery(ContractModel):
    type: DeliveryType
    digital_goods: SandboxDigitalGoods | None = Field(None, alias="digitalGoods")
    service_id: int | None = Field(None, alias="serviceId", ge=1, le=INT64_MAX, strict=True)
    region_id: int | None = Field(None, alias="regionId", strict=True)
    price: JsonDecimal = Field(
        Decimal(0), ge=0, le=limits.SANDBOX_ORDER_PRICE_MAX, decimal_places=2
    )
    estimated: bool = Field(False, strict=True)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: DeliveryType) -> DeliveryType:
        if value is DeliveryType.UNKNOWN:
            raise ValueError(
                "Value of field {field} must be one of DELIVERY, PICKUP, POST, DIGITAL"
            )
        return value


class SandboxBuyerCall(ContractModel):
    started_at: AwareDatetime = Field(alias="startedAt", strict=True)
    duration_seconds: float = Field(alias="durationSeconds", ge=0, allow_inf_nan=False)


class SandboxOrderBuyer(ContractModel):
    type: BuyerType = BuyerType.PERSON
    calls: list[SandboxBuyerCall] = Field(default_factory=list, max_length=100)
    phone_unreachable: bool = Field(False, alias="phoneUnreachable", strict=True)


class SandboxOrderRequest(ContractModel):
    """``POST /sandbox/campaigns/{campaignId}/orders``: a test order as the buyer placed it."""

    items: list[SandboxOrderItem] = Field(min_length=1, max_length=limits.SANDBOX_ORDER_ITEMS_MAX)
    delivery: SandboxOrderDelivery
    buyer: SandboxOrderBuyer = Field(default_factory=SandboxOrderBuyer)
    status: OrderStatus = OrderStatus.PROCESSING
    substatus: OrderSubstatus | None = None
    # The seller's own id of the order, as getBusinessOrders shows and filters it.
    external_order_id: str | None = Field(
        None, alias="externalOrderId", min_length=1, max_length=255
    )


class SandboxStatusRequest(ContractModel):
    """``POST /sandbox/campaigns/{campaignId}/orders/{orderId}/status``: a Market-side move."""

    status: OrderStatus
    substatus: OrderSubstatus | None = None
