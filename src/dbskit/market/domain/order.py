"""An order as the Market's rules see it: plain values, no storage and no HTTP.

Storage maps rows to these classes; the rules of the status model, the digital-goods, tracking
and marking methods take them (and ``now``) and return decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from dbskit.contract.enums import (
    BuyerType,
    Currency,
    DeliveryType,
    DigitalGoodsDeliveryType,
    DispatchType,
    InstanceType,
    OrderStatus,
    OrderSubstatus,
    PaymentMethod,
    PaymentType,
    TaxSystem,
    Vat,
)
from dbskit.market.domain.marking import MarkingCode

if TYPE_CHECKING:
    from dbskit.market.domain.status_model import Decision


# OQ-26: the digital deliveries the seller makes and marks DELIVERED itself (spec
# DigitalGoodsDeliveryType: STEAM_GIFT, CHAT); EMAIL and ACTIVATION_CODE go through the keys.
SELLER_DELIVERED_DIGITAL = frozenset(
    {DigitalGoodsDeliveryType.STEAM_GIFT, DigitalGoodsDeliveryType.CHAT}
)


def takes_keys(
    delivery_type: DeliveryType, digital_delivery: DigitalGoodsDeliveryType | None
) -> bool:
    """A DIGITAL order whose keys the seller sends and the Market hands over (R-001, R-105);
    a Steam gift or a chat delivery is the seller's to make and to mark (OQ-26)."""
    return (
        delivery_type is DeliveryType.DIGITAL and digital_delivery not in SELLER_DELIVERED_DIGITAL
    )


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line of an order; ``id`` is unique within the order (R-005, R-029)."""

    id: int
    offer_id: str
    offer_name: str
    count: int
    price: Decimal
    vat: Vat
    required_instance_types: frozenset[InstanceType] = frozenset()
    # the codes stored by PUT identifiers, in the order sent; none before the first call.
    instances: tuple[MarkingCode, ...] = ()

    @property
    def needs_cis(self) -> bool:
        return InstanceType.CIS in self.required_instance_types

    @property
    def needs_uin(self) -> bool:
        return InstanceType.UIN in self.required_instance_types

    @property
    def has_cis(self) -> bool:
        """getOrders ``hasCis``: the item carries a marking code, mandatory or not (R-120)."""
        return bool(self.required_instance_types & {InstanceType.CIS, InstanceType.CIS_OPTIONAL})


def required_instance_types(
    marking: InstanceType | None, buyer_type: BuyerType
) -> frozenset[InstanceType]:
    """What an item must carry: CIS is mandatory for businesses only (R-025, R-027)."""
    if marking is None:
        return frozenset()
    if marking is InstanceType.CIS and buyer_type is BuyerType.PERSON:
        return frozenset({InstanceType.CIS_OPTIONAL})
    return frozenset({marking})


@dataclass(frozen=True, slots=True)
class BuyerCall:
    """A call from the store to the buyer, as R-100 counts them."""

    started_at: datetime
    duration: timedelta


@dataclass(frozen=True, slots=True)
class Track:
    """``OrderTrackDTO`` (R-021): a track number and its delivery service."""

    track_code: str
    delivery_service_id: int


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    campaign_id: int
    status: OrderStatus
    substatus: OrderSubstatus | None
    fake: bool
    created_at: datetime
    updated_at: datetime
    # When the order last entered PROCESSING: the 30-minute key window counts from here.
    processing_since: datetime | None
    delivery_type: DeliveryType
    delivery_service_id: int | None
    region_id: int | None
    buyer_type: BuyerType
    currency: Currency
    payment_type: PaymentType
    payment_method: PaymentMethod
    delivery_price: Decimal
    items: tuple[OrderItem, ...] = field(default_factory=tuple)
    # a buyer's cancellation request waiting for the store's answer, and its reason.
    cancellation_requested_at: datetime | None = None
    cancellation_request_substatus: OrderSubstatus | None = None
    # When status or substatus last changed (ORDER_STATUS_UPDATED, the 30-day window of R-120).
    status_updated_at: datetime | None = None
    delivery_service_name: str = ""
    dispatch_type: DispatchType = DispatchType.BUYER
    delivery_from_date: date | None = None
    delivery_to_date: date | None = None
    shipment_date: date | None = None
    # the day the order reached the pick-up point or the buyer.
    real_delivery_date: date | None = None
    estimated: bool = False  # a long delivery (31-60 days) without a confirmed date
    tax_system: TaxSystem = TaxSystem.OSN
    # the store's calls to the buyer, and whether the number was unavailable.
    buyer_calls: tuple[BuyerCall, ...] = ()
    buyer_phone_unreachable: bool = False
    # R-021, OQ-06: the track set by the last delivery/track call (earlier ones are history).
    track: Track | None = None
    external_order_id: str | None = None  # the seller's own id (getBusinessOrders)
    # How a DIGITAL order reaches the buyer (OQ-26); None for every other order.
    digital_delivery: DigitalGoodsDeliveryType | None = None
    steam_link: str | None = None  # the buyer's Steam link, for a STEAM_GIFT order

    @property
    def is_digital(self) -> bool:
        return self.delivery_type is DeliveryType.DIGITAL

    @property
    def takes_keys(self) -> bool:
        return takes_keys(self.delivery_type, self.digital_delivery)

    @property
    def has_cis(self) -> bool:
        return any(item.has_cis for item in self.items)

    @property
    def cancel_requested(self) -> bool:
        return self.cancellation_requested_at is not None

    @property
    def items_total(self) -> Decimal:
        return sum((item.price * item.count for item in self.items), Decimal(0))

    def item(self, item_id: int) -> OrderItem | None:
        for item in self.items:
            if item.id == item_id:
                return item
        return None

    # Its state changes: the status model decides whether a change may happen
    # (``status_model``), the order says what changes with it.

    def apply(self, decision: Decision, *, now: datetime) -> Order:
        """The order once a decided status change happens at ``now``: its status times, the start
        of PROCESSING (R-009's window), the day it was delivered (R-103), and no cancellation
        request left once it is closed (R-102)."""
        status, substatus = decision.target
        closing = status in {OrderStatus.CANCELLED, OrderStatus.DELIVERED}
        entering_processing = status is OrderStatus.PROCESSING and self.status is not status
        return replace(
            self,
            status=status,
            substatus=substatus,
            updated_at=now,
            status_updated_at=now,
            processing_since=now if entering_processing else self.processing_since,
            real_delivery_date=decision.real_delivery_date or self.real_delivery_date,
            cancellation_requested_at=None if closing else self.cancellation_requested_at,
            cancellation_request_substatus=(
                None if closing else self.cancellation_request_substatus
            ),
        )

    def request_cancellation(self, reason: OrderSubstatus, *, now: datetime) -> Order:
        """R-102: the buyer asks to cancel an order in DELIVERY or PICKUP; it stays where it is
        until the store answers or the request falls due."""
        return replace(
            self,
            updated_at=now,
            cancellation_requested_at=now,
            cancellation_request_substatus=reason,
        )

    def answer_cancellation(self, *, accepted: bool, now: datetime) -> Order:
        """R-102: the store confirms the buyer's request (the order is cancelled for its reason)
        or rejects it (the order stays where it is and the request is closed)."""
        if accepted:
            return self.cancel_unanswered(now=now)
        return replace(
            self,
            updated_at=now,
            cancellation_requested_at=None,
            cancellation_request_substatus=None,
        )

    def cancel_unanswered(self, *, now: datetime) -> Order:
        """R-102: the request the store left unanswered cancels the order, for its reason."""
        reason = self.cancellation_request_substatus
        if reason is None:
            raise ValueError(f"order {self.id} has no cancellation request")
        return replace(
            self,
            status=OrderStatus.CANCELLED,
            substatus=reason,
            updated_at=now,
            status_updated_at=now,
            cancellation_requested_at=None,
            cancellation_request_substatus=None,
        )
