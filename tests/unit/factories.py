"""Orders for tests of the pure rules: valid by default, any field overridable."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dbskit.contract.enums import (
    BuyerType,
    Currency,
    DeliveryType,
    OrderStatus,
    OrderSubstatus,
    PaymentMethod,
    PaymentType,
    Vat,
)
from dbskit.market.domain.order import Order, OrderItem

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_order(**overrides: Any) -> Order:
    values: dict[str, Any] = {
        "id": 52_000_000_001,
        "campaign_id": 21_000_001,
        "status": OrderStatus.PROCESSING,
        "substatus": OrderSubstatus.STARTED,
        "fake": True,
        "created_at": CREATED,
        "updated_at": CREATED,
        "processing_since": CREATED,
        "delivery_type": DeliveryType.DELIVERY,
        "delivery_service_id": 99,
        "region_id": 213,
        "buyer_type": BuyerType.PERSON,
        "currency": Currency.RUR,
        "payment_type": PaymentType.POSTPAID,
        "payment_method": PaymentMethod.CASH_ON_DELIVERY,
        "delivery_price": Decimal(0),
        "items": (OrderItem(400_000_001, "sku-1", "Kettle", 1, Decimal("990.00"), Vat.VAT_20),),
    }
    values.update(overrides)
    return Order(**values)
