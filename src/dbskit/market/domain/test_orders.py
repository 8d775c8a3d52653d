"""Building a test order from a sandbox request (R-107): ``fake`` is true, the rest is defaulted.

The defaults fill what OrderDTO requires but the request does not give; docs/decisions.md lists
them. Ids look like the Market's: an 11-digit order id and 9-digit item ids, random, so that a
client cannot mistake a position for an id.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from dbskit.contract import limits
from dbskit.contract.enums import (
    Currency,
    DeliveryType,
    DispatchType,
    InstanceType,
    OrderStatus,
    OrderSubstatus,
    PaymentMethod,
    PaymentType,
    TaxSystem,
)
from dbskit.contract.errors import BadRequest
from dbskit.contract.regions import MOSCOW, REGIONS
from dbskit.contract.sandbox import SandboxOrderRequest
from dbskit.market.domain.delivery_services import OWN_DELIVERY_SERVICE_ID, delivery_service
from dbskit.market.domain.order import BuyerCall, Order, OrderItem, required_instance_types
from dbskit.market.domain.status_model import valid_states

ORDER_ID_RANGE: Final = (10_000_000_000, 99_999_999_999)
ITEM_ID_RANGE: Final = (100_000_000, 999_999_999)

# Defaults for what the sandbox request leaves out (docs/decisions.md, "Orders").
DEFAULT_PAYMENT_TYPE: Final = PaymentType.POSTPAID  # docs:sandbox.md: "payment upon receipt"
DEFAULT_PAYMENT_METHOD: Final = PaymentMethod.CASH_ON_DELIVERY
DEFAULT_CURRENCY: Final = Currency.RUR
DEFAULT_TAX_SYSTEM: Final = TaxSystem.OSN
SHIPMENT_AFTER: Final = timedelta(days=1)
DELIVERY_AFTER: Final = timedelta(days=2)
DEFAULT_SUBSTATUS: Final = {
    OrderStatus.PROCESSING: OrderSubstatus.STARTED,
    OrderStatus.DELIVERY: OrderSubstatus.DELIVERY_SERVICE_RECEIVED,
    OrderStatus.PICKUP: OrderSubstatus.PICKUP_SERVICE_RECEIVED,
    OrderStatus.DELIVERED: OrderSubstatus.DELIVERY_SERVICE_DELIVERED,
}


@dataclass(frozen=True, slots=True)
class IdSource:
    """Random ids; tests pass a seeded ``random.Random``."""

    rng: random.Random

    def order_id(self) -> int:
        return self.rng.randint(*ORDER_ID_RANGE)

    def item_ids(self, count: int) -> list[int]:
        return self.rng.sample(range(ITEM_ID_RANGE[0], ITEM_ID_RANGE[1] + 1), count)


class InvalidTestOrder(BadRequest):
    pass


def _initial_state(request: SandboxOrderRequest) -> tuple[OrderStatus, OrderSubstatus]:
    substatus = request.substatus or DEFAULT_SUBSTATUS.get(request.status)
    if substatus is None:
        raise InvalidTestOrder("Missing field substatus")
    state = (request.status, substatus)
    if state not in valid_states(request.delivery.type):
        raise InvalidTestOrder(
            f"Value of fields status and substatus ({request.status}/{substatus}) is not a state "
            f"a {request.delivery.type} order can be in"
        )
    return state


def build_test_order(
    request: SandboxOrderRequest,
    *,
    campaign_id: int,
    order_id: int,
    item_ids: list[int],
    now: datetime,
) -> Order:
    status, substatus = _initial_state(request)
    delivery = request.delivery
    region_id = MOSCOW.id if delivery.region_id is None else delivery.region_id
    if region_id not in REGIONS:
        known = ", ".join(str(region) for region in sorted(REGIONS))
        raise InvalidTestOrder(
            f"Value of field delivery.regionId ({region_id}) must be one of {known}"
        )
    service = delivery_service(delivery.service_id or OWN_DELIVERY_SERVICE_ID)
    if service is None:
        raise InvalidTestOrder(
            f"Value of field delivery.serviceId ({delivery.service_id}) is not a delivery service "
            "of GET v2/delivery/services"
        )
    buyer = request.buyer
    items = tuple(
        OrderItem(
            id=item_id,
            offer_id=item.offer_id,
            offer_name=item.offer_name or item.offer_id,
            count=item.count,
            price=item.price,
            vat=item.vat,
            required_instance_types=required_instance_types(
                InstanceType(item.marking) if item.marking else None, buyer.type
            ),
        )
        for item_id, item in zip(item_ids, request.items, strict=True)
    )
    today = now.astimezone(limits.MARKET_TIMEZONE).date()
    digital = delivery.type is DeliveryType.DIGITAL
    return Order(
        id=order_id,
        campaign_id=campaign_id,
        status=status,
        substatus=substatus,
        fake=True,
        created_at=now,
        updated_at=now,
        status_updated_at=now,
        processing_since=now if status is OrderStatus.PROCESSING else None,
        delivery_type=delivery.type,
        delivery_service_id=service.id,
        delivery_service_name=service.name,
        dispatch_type=(
            DispatchType.SHOP_OUTLET if delivery.type is DeliveryType.PICKUP else DispatchType.BUYER
        ),
        region_id=region_id,
        buyer_type=buyer.type,
        currency=DEFAULT_CURRENCY,
        payment_type=DEFAULT_PAYMENT_TYPE,
        payment_method=DEFAULT_PAYMENT_METHOD,
        tax_system=DEFAULT_TAX_SYSTEM,
        delivery_price=Decimal(0) if digital else delivery.price,
        items=items,
        delivery_from_date=today if digital else today + DELIVERY_AFTER,
        delivery_to_date=today if digital else today + DELIVERY_AFTER,
        shipment_date=None if digital else today + SHIPMENT_AFTER,
        real_delivery_date=today if status in {OrderStatus.PICKUP, OrderStatus.DELIVERED} else None,
        estimated=delivery.estimated,
        buyer_calls=tuple(
            BuyerCall(call.started_at, timedelta(seconds=call.duration_seconds))
            for call in buyer.calls
        ),
        buyer_phone_unreachable=buyer.phone_unreachable,
    )
