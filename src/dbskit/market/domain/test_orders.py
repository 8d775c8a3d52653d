"""Building a test order from a sandbox request (R-107): ``fake`` is true, the rest is defaulted.

The defaults fill what OrderDTO requires but the request does not give; docs/decisions.md lists
them. Ids look like the Market's: an 11-digit order id and 9-digit item ids, random, so that a
client cannot mistake a position for an id.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from dbskit.contract import limits
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
)
from dbskit.contract.errors import BadRequest
from dbskit.contract.operations import Profile
from dbskit.contract.regions import MOSCOW, REGIONS, known_region_ids
from dbskit.contract.sandbox import SandboxOrderBuyer, SandboxOrderItem, SandboxOrderRequest
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

    def steam_link(self) -> str:
        """A link of the shape the spec shows: ``https://s.team/p/m**-***/********``."""

        def letters(count: int) -> str:
            return "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(count))

        return f"https://s.team/p/m{letters(2)}-{letters(3)}/{letters(8)}"


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


@dataclass(frozen=True, slots=True)
class DigitalDelivery:
    type: DigitalGoodsDeliveryType
    steam_link: str | None = None


def digital_delivery(
    request: SandboxOrderRequest, *, profile: Profile, ids: IdSource
) -> DigitalDelivery | None:
    """How a DIGITAL test order reaches the buyer: EMAIL unless the request says otherwise, and
    only EMAIL under ``--profile seed``, whose sources know no other (OQ-26)."""
    delivery = request.delivery
    asked = delivery.digital_goods
    if delivery.type is not DeliveryType.DIGITAL:
        if asked is not None:
            raise InvalidTestOrder(
                f"Field delivery.digitalGoods is only for DIGITAL orders, not {delivery.type}"
            )
        return None
    if asked is None:
        return DigitalDelivery(DigitalGoodsDeliveryType.EMAIL)
    if profile is Profile.SEED and asked.type is not DigitalGoodsDeliveryType.EMAIL:
        raise InvalidTestOrder(
            f"Value of field delivery.digitalGoods.type ({asked.type}) needs --profile 2026: "
            "under --profile seed every DIGITAL order is EMAIL"
        )
    if asked.type is not DigitalGoodsDeliveryType.STEAM_GIFT:
        if asked.steam_link is not None:
            raise InvalidTestOrder(
                f"Field delivery.digitalGoods.steamLink is only for STEAM_GIFT orders, not "
                f"{asked.type}"
            )
        return DigitalDelivery(asked.type)
    return DigitalDelivery(asked.type, asked.steam_link or ids.steam_link())


@dataclass(frozen=True, slots=True)
class PlacedDelivery:
    """How a test order travels: what a sandbox request or the store's chosen option gives."""

    type: DeliveryType
    service_id: int
    service_name: str
    region_id: int
    price: Decimal
    from_date: date
    to_date: date
    shipment_date: date | None
    estimated: bool = False
    digital: DigitalDelivery | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    type: PaymentType
    method: PaymentMethod


DEFAULT_PAYMENT: Final = Payment(DEFAULT_PAYMENT_TYPE, DEFAULT_PAYMENT_METHOD)


def require_region(region_id: int, field: str) -> int:
    if region_id not in REGIONS:
        raise InvalidTestOrder(
            f"Value of field {field} ({region_id}) must be one of {known_region_ids()}"
        )
    return region_id


def order_items(
    item_ids: list[int], lines: Sequence[tuple[SandboxOrderItem, int]], buyer_type: BuyerType
) -> tuple[OrderItem, ...]:
    """The order's items: each requested line with the count it is ordered in."""
    return tuple(
        OrderItem(
            id=item_id,
            offer_id=item.offer_id,
            offer_name=item.offer_name or item.offer_id,
            count=count,
            price=item.price,
            vat=item.vat,
            required_instance_types=required_instance_types(
                InstanceType(item.marking) if item.marking else None, buyer_type
            ),
        )
        for item_id, (item, count) in zip(item_ids, lines, strict=True)
    )


def build_test_order(
    request: SandboxOrderRequest,
    *,
    campaign_id: int,
    order_id: int,
    item_ids: list[int],
    now: datetime,
    profile: Profile = Profile.SEED,
    ids: IdSource | None = None,
) -> Order:
    status, substatus = _initial_state(request)
    digital_goods = digital_delivery(
        request, profile=profile, ids=ids or IdSource(random.Random(order_id))
    )
    delivery = request.delivery
    region_id = require_region(
        MOSCOW.id if delivery.region_id is None else delivery.region_id, "delivery.regionId"
    )
    service = delivery_service(delivery.service_id or OWN_DELIVERY_SERVICE_ID)
    if service is None:
        raise InvalidTestOrder(
            f"Value of field delivery.serviceId ({delivery.service_id}) is not a delivery service "
            "of GET v2/delivery/services"
        )
    today = now.astimezone(limits.MARKET_TIMEZONE).date()
    digital = delivery.type is DeliveryType.DIGITAL
    placed = PlacedDelivery(
        type=delivery.type,
        service_id=service.id,
        service_name=service.name,
        region_id=region_id,
        price=Decimal(0) if digital else delivery.price,
        from_date=today if digital else today + DELIVERY_AFTER,
        to_date=today if digital else today + DELIVERY_AFTER,
        shipment_date=None if digital else today + SHIPMENT_AFTER,
        estimated=delivery.estimated,
        digital=digital_goods,
    )
    items = order_items(
        item_ids, [(item, item.count) for item in request.items], request.buyer.type
    )
    return new_test_order(
        campaign_id=campaign_id,
        order_id=order_id,
        state=(status, substatus),
        delivery=placed,
        payment=DEFAULT_PAYMENT,
        items=items,
        buyer=request.buyer,
        now=now,
        external_order_id=request.external_order_id,
    )


def new_test_order(
    *,
    campaign_id: int,
    order_id: int,
    state: tuple[OrderStatus, OrderSubstatus],
    delivery: PlacedDelivery,
    payment: Payment,
    items: tuple[OrderItem, ...],
    buyer: SandboxOrderBuyer,
    now: datetime,
    external_order_id: str | None = None,
) -> Order:
    status, substatus = state
    today = now.astimezone(limits.MARKET_TIMEZONE).date()
    digital = delivery.digital
    if digital is None and delivery.type is DeliveryType.DIGITAL:
        digital = DigitalDelivery(DigitalGoodsDeliveryType.EMAIL)
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
        delivery_service_id=delivery.service_id,
        delivery_service_name=delivery.service_name,
        dispatch_type=(
            DispatchType.SHOP_OUTLET if delivery.type is DeliveryType.PICKUP else DispatchType.BUYER
        ),
        region_id=delivery.region_id,
        buyer_type=buyer.type,
        currency=DEFAULT_CURRENCY,
        payment_type=payment.type,
        payment_method=payment.method,
        tax_system=DEFAULT_TAX_SYSTEM,
        delivery_price=delivery.price,
        items=items,
        delivery_from_date=delivery.from_date,
        delivery_to_date=delivery.to_date,
        shipment_date=delivery.shipment_date,
        real_delivery_date=today if status in {OrderStatus.PICKUP, OrderStatus.DELIVERED} else None,
        estimated=delivery.estimated,
        buyer_calls=tuple(
            BuyerCall(call.started_at, timedelta(seconds=call.duration_seconds))
            for call in buyer.calls
        ),
        buyer_phone_unreachable=buyer.phone_unreachable,
        external_order_id=external_order_id,
        digital_delivery=digital.type if digital else None,
        steam_link=digital.steam_link if digital else None,
    )
