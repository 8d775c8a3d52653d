"""An ``Order`` as getBusinessOrders shows it (BusinessOrderDTO): ISO 8601 days and moments with
the Market's offset, money as ``{value, currencyId}``.

Written as JSON documents like getOrders' pages (``order_view``): the contract's names and field
order, absent fields left out, enums as their values; each order serialised once, and a page
joins them (``order_view.page_body``).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic_core import to_json

from dbskit.contract import limits
from dbskit.contract.enums import Currency, DeliveryPartnerType, DeliveryType, OrderSubstatus
from dbskit.market.domain.business_orders_query import OWN_PLATFORM, OWN_PROGRAM
from dbskit.market.domain.delivery_services import OWN_DELIVERY_SERVICE_ID
from dbskit.market.domain.order import Order, OrderItem
from dbskit.market.services.order_view import (
    Document,
    delivery_dates,
    region_document,
    track_documents,
)


def iso_day(day: date) -> str:
    return day.isoformat()


def iso_moment(moment: datetime) -> str:
    return moment.astimezone(limits.MARKET_TIMEZONE).isoformat(timespec="seconds")


def _money(value: float, currency: Currency) -> Document:
    """CurrencyValueDTO."""
    return {"value": value, "currencyId": currency.value}


def _item(order: Order, item: OrderItem) -> Document:
    found: Document = {
        "id": item.id,
        "offerId": item.offer_id,
        "offerName": item.offer_name,
        "count": item.count,
        "prices": {"payment": _money(float(item.price), order.currency), "vat": item.vat.value},
    }
    if item.instances:
        found["instances"] = [code.as_instance() for code in item.instances]
    if item.required_instance_types:
        found["requiredInstanceTypes"] = sorted(kind.value for kind in item.required_instance_types)
    return found


def _delivery(order: Order) -> Document:
    dates = delivery_dates(order, iso_day)
    found: Document = {
        "type": order.delivery_type.value,
        "serviceName": order.delivery_service_name,
        "deliveryServiceId": order.delivery_service_id or OWN_DELIVERY_SERVICE_ID,
        "deliveryPartnerType": DeliveryPartnerType.SHOP.value,  # DBS: the store delivers
        "dispatchType": order.dispatch_type.value,
        "dates": dates,
    }
    if order.shipment_date:
        found["shipment"] = {"shipmentDate": iso_day(order.shipment_date)}
    # BusinessOrderCourierDeliveryDTO or BusinessOrderPickupDeliveryDTO: the region is what a
    # test order knows of where it goes; a DIGITAL order goes nowhere.
    region = None if order.is_digital else region_document(order.region_id)
    if region:
        found["pickup" if order.delivery_type is DeliveryType.PICKUP else "courier"] = {
            "region": region
        }
    tracks = track_documents(order)
    if tracks:
        found["tracks"] = tracks
    found["estimated"] = order.estimated
    if order.digital_delivery is not None:
        digital: Document = {"type": order.digital_delivery.value}
        if order.steam_link is not None:
            digital["steamLink"] = order.steam_link
        found["digitalGoods"] = digital
    return found


def business_order_document(order: Order) -> Document:
    """The BusinessOrderDTO of ``order`` as its JSON document."""
    found: Document = {
        "orderId": order.id,
        "campaignId": order.campaign_id,
        "programType": OWN_PROGRAM.value,
    }
    if order.external_order_id is not None:
        found["externalOrderId"] = order.external_order_id
    found.update(
        {
            "status": order.status.value,
            "substatus": (order.substatus or OrderSubstatus.UNKNOWN).value,
            "creationDate": iso_moment(order.created_at),
            "updateDate": iso_moment(order.updated_at),
            "paymentType": order.payment_type.value,
            "paymentMethod": order.payment_method.value,
            "fake": order.fake,
            "items": [_item(order, item) for item in order.items],
            "prices": {
                "payment": _money(float(order.items_total), order.currency),
                "delivery": {"payment": _money(float(order.delivery_price), order.currency)},
            },
            "delivery": _delivery(order),
            "buyerType": order.buyer_type.value,
            "cancelRequested": order.cancel_requested,
            "sourcePlatform": OWN_PLATFORM.value,
        }
    )
    return found


def business_order_json(order: Order) -> bytes:
    """One order of a page of getBusinessOrders (kept by ``order_documents``)."""
    return to_json(business_order_document(order), exclude_none=True)  # its models too
