"""The columns of an order and its items as the reads select them, and such rows back to
``Order``.

Money is kept in kopecks so that sums are exact on SQLite and PostgreSQL alike. The reads run on
the driver's cursor (``DriverStatement``): through Core, the result processors and row objects
cost a page of getOrders more than the rest of its read (docs/benchmarks.md, "Order lists"). The
columns come as both databases give them alike: times as microseconds, days and JSON as text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from pydantic_core import from_json
from sqlalchemy import Text, cast

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
from dbskit.database.values import from_micros
from dbskit.market.domain.order import BuyerCall, Order, OrderItem, Track
from dbskit.market.storage.tables import order_items, orders
from dbskit.market.storage.types import unit_codes_from_text

E = TypeVar("E", bound=Enum)

_KOPECKS = Decimal(100)


def to_kopecks(amount: Decimal) -> int:
    return int((amount * _KOPECKS).to_integral_value())


def from_kopecks(kopecks: int) -> Decimal:
    return Decimal(kopecks).scaleb(-2)  # exact, two decimal places: 49950 -> 499.50


ORDER_COLUMNS = (
    orders.c.id,
    orders.c.campaign_id,
    orders.c.status,
    orders.c.substatus,
    orders.c.fake,
    orders.c.created_at,
    orders.c.updated_at,
    orders.c.status_updated_at,
    orders.c.processing_since,
    orders.c.delivery_type,
    orders.c.delivery_service_id,
    orders.c.delivery_service_name,
    orders.c.dispatch_type,
    orders.c.region_id,
    cast(orders.c.delivery_from_date, Text).label("delivery_from_date"),
    cast(orders.c.delivery_to_date, Text).label("delivery_to_date"),
    cast(orders.c.shipment_date, Text).label("shipment_date"),
    cast(orders.c.real_delivery_date, Text).label("real_delivery_date"),
    orders.c.estimated,
    orders.c.delivery_price_kopecks,
    orders.c.buyer_type,
    orders.c.currency,
    orders.c.payment_type,
    orders.c.payment_method,
    orders.c.tax_system,
    orders.c.cancellation_requested_at,
    orders.c.cancellation_request_substatus,
    cast(orders.c.buyer_calls, Text).label("buyer_calls"),
    orders.c.buyer_phone_unreachable,
    orders.c.track_code,
    orders.c.track_service_id,
    orders.c.external_order_id,
    orders.c.digital_delivery_type,
    orders.c.steam_link,
)
ITEM_COLUMNS = (
    order_items.c.item_id,
    order_items.c.offer_id,
    order_items.c.offer_name,
    order_items.c["count"],
    order_items.c.price_kopecks,
    order_items.c.vat,
    cast(order_items.c.required_instance_types, Text).label("required_instance_types"),
    order_items.c.instances,
)
NEWEST_FIRST = (orders.c.created_at.desc(), orders.c.id.desc())


ORDER_WIDTH = len(ORDER_COLUMNS)  # an order's columns in a row; its item's may follow


def _values_of(enum: type[E]) -> dict[str, E]:
    """An enum's members by value: a dict lookup costs a tenth of calling the enum."""
    return {member.value: member for member in enum}


_STATUS = _values_of(OrderStatus)
_SUBSTATUS = _values_of(OrderSubstatus)
_DELIVERY_TYPE = _values_of(DeliveryType)
_DISPATCH_TYPE = _values_of(DispatchType)
_BUYER_TYPE = _values_of(BuyerType)
_CURRENCY = _values_of(Currency)
_PAYMENT_TYPE = _values_of(PaymentType)
_PAYMENT_METHOD = _values_of(PaymentMethod)
_TAX_SYSTEM = _values_of(TaxSystem)
_DIGITAL_DELIVERY = _values_of(DigitalGoodsDeliveryType)
_VAT = _values_of(Vat)


def orders_from_rows(rows: Iterable[Sequence[Any]]) -> list[Order]:
    """The orders in rows of an order and its items (``orders.ORDER_TREE``), in row order (an
    order's rows come together)."""
    found: list[Order] = []
    head: Sequence[Any] | None = None
    lines: list[OrderItem] = []
    for row in rows:
        if head is None or row[0] != head[0]:
            if head is not None:
                found.append(order_from_row(head, lines))
            head, lines = row, []
        if row[ORDER_WIDTH] is not None:
            lines.append(item_from_row(row[ORDER_WIDTH:]))
    if head is not None:
        found.append(order_from_row(head, lines))
    return found


@functools.lru_cache(maxsize=64)  # an item needs one kind or none: a handful of values
def _instance_types(stored: str) -> frozenset[InstanceType]:
    return frozenset(InstanceType(kind) for kind in from_json(stored))


def item_from_row(values: Sequence[Any]) -> OrderItem:
    """The item of the values of ``ITEM_COLUMNS``."""
    item_id, offer_id, offer_name, count, price_kopecks, vat, kinds, codes = values
    return OrderItem(
        id=item_id,
        offer_id=offer_id,
        offer_name=offer_name,
        count=count,
        price=from_kopecks(price_kopecks),
        vat=_VAT[vat],
        required_instance_types=_instance_types(kinds),
        instances=unit_codes_from_text(codes),
    )


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


def _stored_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _buyer_calls(text: str) -> tuple[BuyerCall, ...]:
    if text == "[]":  # nearly every order
        return ()
    return tuple(
        BuyerCall(datetime.fromisoformat(call["startedAt"]), timedelta(seconds=call["seconds"]))
        for call in from_json(text)
    )


def order_from_row(row: Sequence[Any], items: list[OrderItem]) -> Order:
    """The order of the values of ``ORDER_COLUMNS`` (the rest of the row is ignored)."""
    (
        order_id,
        campaign_id,
        status,
        substatus,
        fake,
        created_at,
        updated_at,
        status_updated_at,
        processing_since,
        delivery_type,
        delivery_service_id,
        delivery_service_name,
        dispatch_type,
        region_id,
        delivery_from_date,
        delivery_to_date,
        shipment_date,
        real_delivery_date,
        estimated,
        delivery_price_kopecks,
        buyer_type,
        currency,
        payment_type,
        payment_method,
        tax_system,
        cancellation_requested_at,
        cancellation_request_substatus,
        buyer_calls,
        buyer_phone_unreachable,
        track_code,
        track_service_id,
        external_order_id,
        digital_delivery_type,
        steam_link,
    ) = row[:ORDER_WIDTH]
    return Order(
        id=order_id,
        campaign_id=campaign_id,
        status=_STATUS[status],
        substatus=_SUBSTATUS[substatus] if substatus else None,
        fake=bool(fake),  # SQLite gives 0 or 1
        created_at=from_micros(created_at),
        updated_at=from_micros(updated_at),
        processing_since=_moment(processing_since),
        delivery_type=_DELIVERY_TYPE[delivery_type],
        delivery_service_id=delivery_service_id,
        region_id=region_id,
        buyer_type=_BUYER_TYPE[buyer_type],
        currency=_CURRENCY[currency],
        payment_type=_PAYMENT_TYPE[payment_type],
        payment_method=_PAYMENT_METHOD[payment_method],
        delivery_price=from_kopecks(delivery_price_kopecks),
        items=tuple(items),
        cancellation_requested_at=_moment(cancellation_requested_at),
        cancellation_request_substatus=(
            _SUBSTATUS[cancellation_request_substatus] if cancellation_request_substatus else None
        ),
        status_updated_at=from_micros(status_updated_at),
        delivery_service_name=delivery_service_name,
        dispatch_type=_DISPATCH_TYPE[dispatch_type],
        delivery_from_date=_stored_day(delivery_from_date),
        delivery_to_date=_stored_day(delivery_to_date),
        shipment_date=_stored_day(shipment_date),
        real_delivery_date=_stored_day(real_delivery_date),
        estimated=bool(estimated),
        tax_system=_TAX_SYSTEM[tax_system],
        buyer_calls=_buyer_calls(buyer_calls),
        buyer_phone_unreachable=bool(buyer_phone_unreachable),
        track=Track(track_code, track_service_id) if track_code is not None else None,
        external_order_id=external_order_id,
        digital_delivery=_DIGITAL_DELIVERY[digital_delivery_type]
        if digital_delivery_type
        else None,
        steam_link=steam_link,
    )
