"""An ``Order`` as the Partner API shows it (OrderDTO; R-092 date formats, Market time).

``order_document`` is the one mapping: the OrderDTO as its JSON document, under the contract's
names (its aliases), in its field order, absent fields left out, enums as their values. A page
of getOrders joins these documents, each serialised on its own (``order_json``) and kept while
the database is unchanged (``order_documents``). Built as contract models first, a page's 50
orders cost several times the rest of the call (docs/benchmarks.md, "Order lists"), and
pydantic-core writes an enum member some fifteen times slower than its text. ``order_dto`` is
the same document as the contract model, for the answers that carry one order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pydantic_core import to_json

from dbskit.contract import limits
from dbskit.contract.enums import DeliveryPartnerType, OrderSubstatus
from dbskit.contract.orders import FlippingPagerDTO, ForwardScrollingPagerDTO, OrderDTO
from dbskit.contract.regions import REGIONS
from dbskit.market.domain.delivery_services import OWN_DELIVERY_SERVICE_ID
from dbskit.market.domain.order import Order, OrderItem

Document = dict[str, Any]


# R-092's DD-MM-YYYY and DD-MM-YYYY HH:MM:SS, put together from the fields: strftime, or a
# format spec per field, costs three times as much, and a page of getOrders writes 250 of them.
_TWO_DIGITS = [f"{number:02d}" for number in range(100)]


def format_date(day: date) -> str:
    return f"{_TWO_DIGITS[day.day]}-{_TWO_DIGITS[day.month]}-{day.year}"


def format_moment(moment: datetime) -> str:
    at = moment.astimezone(limits.MARKET_TIMEZONE)
    time = f"{_TWO_DIGITS[at.hour]}:{_TWO_DIGITS[at.minute]}:{_TWO_DIGITS[at.second]}"
    return f"{format_date(at)} {time}"


def region_document(region_id: int | None) -> Document | None:
    """RegionDTO of a region the Market knows; None for any other."""
    region = REGIONS.get(region_id) if region_id is not None else None
    return {"id": region.id, "name": region.name, "type": region.type} if region else None


def track_documents(order: Order) -> list[Document] | None:
    """R-021, OQ-06: the current track, as OrderTrackDTO."""
    if order.track is None:
        return None
    track = order.track
    return [{"trackCode": track.track_code, "deliveryServiceId": track.delivery_service_id}]


def _item(item: OrderItem) -> Document:
    price = float(item.price)
    found: Document = {
        "id": item.id,
        "offerId": item.offer_id,
        "offerName": item.offer_name,
        "price": price,
        "buyerPrice": price,
        "buyerPriceBeforeDiscount": price,
        "count": item.count,
        "vat": item.vat.value,
    }
    if item.required_instance_types:
        found["requiredInstanceTypes"] = sorted(kind.value for kind in item.required_instance_types)
    if item.instances:
        found["instances"] = [code.as_instance() for code in item.instances]
    return found


def delivery_dates(order: Order, write_day: Callable[[date], str]) -> Document:
    """The order's delivery days, each written by ``write_day`` (OrderDTO's or
    BusinessOrderDTO's form); ``fromDate`` is the creation day when the order has none."""
    created = order.created_at.astimezone(limits.MARKET_TIMEZONE).date()
    dates: Document = {"fromDate": write_day(order.delivery_from_date or created)}
    if order.delivery_to_date:
        dates["toDate"] = write_day(order.delivery_to_date)
    if order.real_delivery_date:
        dates["realDeliveryDate"] = write_day(order.real_delivery_date)
    return dates


def _delivery(order: Order) -> Document:
    dates = delivery_dates(order, format_date)
    found: Document = {
        "type": order.delivery_type.value,
        "serviceName": order.delivery_service_name,
        "deliveryPartnerType": DeliveryPartnerType.SHOP.value,  # DBS: the store delivers
        "dates": dates,
    }
    region = region_document(order.region_id)
    if region:
        found["region"] = region
    found["deliveryServiceId"] = order.delivery_service_id or OWN_DELIVERY_SERVICE_ID
    found["dispatchType"] = order.dispatch_type.value
    if order.shipment_date:
        found["shipments"] = [{"shipmentDate": format_date(order.shipment_date)}]
    found["estimated"] = order.estimated
    tracks = track_documents(order)
    if tracks:
        found["tracks"] = tracks
    return found


def order_document(order: Order) -> Document:
    """The OrderDTO of ``order`` as its JSON document."""
    items_total = float(order.items_total)
    return {
        "id": order.id,
        "status": order.status.value,
        "substatus": (order.substatus or OrderSubstatus.UNKNOWN).value,
        "creationDate": format_moment(order.created_at),
        "updatedAt": format_moment(order.updated_at),
        "currency": order.currency.value,
        "itemsTotal": items_total,
        "deliveryTotal": float(order.delivery_price),
        "buyerItemsTotalBeforeDiscount": items_total,
        "paymentType": order.payment_type.value,
        "paymentMethod": order.payment_method.value,
        "fake": order.fake,
        "items": [_item(item) for item in order.items],
        "delivery": _delivery(order),
        "buyer": {"type": order.buyer_type.value},
        "taxSystem": order.tax_system.value,
        "cancelRequested": order.cancel_requested,
    }


def order_dto(order: Order) -> OrderDTO:
    return OrderDTO.model_validate(order_document(order))


def order_json(order: Order) -> bytes:
    """One order of a page of getOrders (kept by ``order_documents``)."""
    return to_json(order_document(order), exclude_none=True)  # its models (instances) too


def page_body(
    documents: list[bytes],
    *,
    pager: FlippingPagerDTO | None = None,
    paging: ForwardScrollingPagerDTO | None = None,
) -> bytes:
    """A page's JSON (GetOrdersResponse, GetBusinessOrdersResponse): the pager of a numbered
    page, its orders' documents as they are, the paging of a token page."""
    parts = []
    if pager is not None:
        parts.append(b'"pager":' + to_json(pager, exclude_none=True))
    parts.append(b'"orders":[' + b",".join(documents) + b"]")
    if paging is not None:
        parts.append(b'"paging":' + to_json(paging, exclude_none=True))
    return b"{" + b",".join(parts) + b"}"
