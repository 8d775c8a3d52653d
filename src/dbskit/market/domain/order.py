"""An order as the Market's rules see it: plain values, no storage and no HTTP.

Storage maps rows to these classes; the rules of the status model, the digital-goods, tracking
and marking methods take them (and ``now``) and return decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from dbskit.contract.enums import (
    BuyerType,
    Currency,
    DeliveryType,
    InstanceType,
    OrderStatus,
    OrderSubstatus,
    PaymentMethod,
    PaymentType,
    Vat,
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

    @property
    def needs_cis(self) -> bool:
        return InstanceType.CIS in self.required_instance_types

    @property
    def needs_uin(self) -> bool:
        return InstanceType.UIN in self.required_instance_types


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
    # a buyer's cancellation request waiting for the store's answer.
    cancellation_requested_at: datetime | None = None

    @property
    def is_digital(self) -> bool:
        return self.delivery_type is DeliveryType.DIGITAL

    @property
    def items_total(self) -> Decimal:
        return sum((item.price * item.count for item in self.items), Decimal(0))

    def item(self, item_id: int) -> OrderItem | None:
        for item in self.items:
            if item.id == item_id:
                return item
        return None
