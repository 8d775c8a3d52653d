"""An ``Order`` as the Partner API shows it (OrderDTO; R-092 date formats, Market time)."""

from __future__ import annotations

from datetime import date, datetime

from dbskit.contract import limits
from dbskit.contract.enums import DeliveryPartnerType, OrderSubstatus
from dbskit.contract.orders import (
    OrderBuyerDTO,
    OrderDeliveryDatesDTO,
    OrderDeliveryDTO,
    OrderDTO,
    OrderItemDTO,
    OrderShipmentDTO,
    OrderTrackDTO,
    RegionDTO,
)
from dbskit.contract.regions import REGIONS
from dbskit.market.domain.delivery_services import OWN_DELIVERY_SERVICE_ID
from dbskit.market.domain.order import Order, OrderItem


def format_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def format_moment(moment: datetime) -> str:
    return moment.astimezone(limits.MARKET_TIMEZONE).strftime("%d-%m-%Y %H:%M:%S")


def _item(item: OrderItem) -> OrderItemDTO:
    price = float(item.price)
    return OrderItemDTO(
        id=item.id,
        offer_id=item.offer_id,
        offer_name=item.offer_name,
        price=price,
        buyer_price=price,
        buyer_price_before_discount=price,
        count=item.count,
        vat=item.vat,
        required_instance_types=sorted(item.required_instance_types) or None,
        instances=[code.as_instance() for code in item.instances] or None,
    )


def _delivery(order: Order) -> OrderDeliveryDTO:
    created = order.created_at.astimezone(limits.MARKET_TIMEZONE).date()
    region = REGIONS.get(order.region_id) if order.region_id is not None else None
    return OrderDeliveryDTO(
        type=order.delivery_type,
        service_name=order.delivery_service_name,
        delivery_partner_type=DeliveryPartnerType.SHOP,  # DBS: the store delivers
        dates=OrderDeliveryDatesDTO(
            from_date=format_date(order.delivery_from_date or created),
            to_date=format_date(order.delivery_to_date) if order.delivery_to_date else None,
            real_delivery_date=(
                format_date(order.real_delivery_date) if order.real_delivery_date else None
            ),
        ),
        region=RegionDTO(id=region.id, name=region.name, type=region.type) if region else None,
        delivery_service_id=order.delivery_service_id or OWN_DELIVERY_SERVICE_ID,
        dispatch_type=order.dispatch_type,
        shipments=(
            [OrderShipmentDTO(shipment_date=format_date(order.shipment_date))]
            if order.shipment_date
            else None
        ),
        estimated=order.estimated,
        tracks=(
            [
                OrderTrackDTO(
                    track_code=order.track.track_code,
                    delivery_service_id=order.track.delivery_service_id,
                )
            ]
            if order.track
            else None
        ),
    )


def order_dto(order: Order) -> OrderDTO:
    items_total = float(order.items_total)
    return OrderDTO(
        id=order.id,
        status=order.status,
        substatus=order.substatus or OrderSubstatus.UNKNOWN,
        creation_date=format_moment(order.created_at),
        updated_at=format_moment(order.updated_at),
        currency=order.currency,
        items_total=items_total,
        delivery_total=float(order.delivery_price),
        buyer_items_total_before_discount=items_total,
        payment_type=order.payment_type,
        payment_method=order.payment_method,
        fake=order.fake,
        items=[_item(item) for item in order.items],
        delivery=_delivery(order),
        buyer=OrderBuyerDTO(type=order.buyer_type),
        tax_system=order.tax_system,
        cancel_requested=order.cancel_requested,
    )
