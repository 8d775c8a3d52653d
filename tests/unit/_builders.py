"""Orders for the pure rules: valid by default, every field overridable."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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
from dbskit.market.domain.order import Order, OrderItem

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def item(item_id: int = 1, count: int = 1, *kinds: InstanceType, **changes: Any) -> OrderItem:
    base = OrderItem(
        id=item_id,
        offer_id=f"offer-{item_id}",
        offer_name=f"Product {item_id}",
        count=count,
        price=Decimal("499.50"),
        vat=Vat.VAT_20,
        required_instance_types=frozenset(kinds),
    )
    return replace(base, **changes)


def order(*items: OrderItem, **changes: Any) -> Order:
    base = Order(
        id=1001,
        campaign_id=21,
        status=OrderStatus.PROCESSING,
        substatus=OrderSubstatus.STARTED,
        fake=True,
        created_at=NOW,
        updated_at=NOW,
        processing_since=NOW,
        delivery_type=DeliveryType.DELIVERY,
        delivery_service_id=None,
        region_id=213,
        buyer_type=BuyerType.PERSON,
        currency=Currency.RUR,
        payment_type=PaymentType.PREPAID,
        payment_method=PaymentMethod.YANDEX,
        delivery_price=Decimal(0),
        items=items or (item(),),
    )
    return replace(base, **changes)


def digital_order(*items: OrderItem, **changes: Any) -> Order:
    return order(*items, **{"delivery_type": DeliveryType.DIGITAL, **changes})
