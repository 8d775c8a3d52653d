"""Which handler answers each operation of the operation table (``contract/operations.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from dbskit.market.routes import (
    business_orders,
    delivery_services,
    digital_goods,
    identifiers,
    orders,
    tracking,
)
from dbskit.market.routes._partner import Handler

PARTNER_HANDLERS: Final[Mapping[str, Handler]] = MappingProxyType(
    {
        "provideOrderDigitalCodes": digital_goods.provide_order_digital_codes,
        "setOrderDeliveryTrackCode": tracking.set_order_delivery_track_code,
        "provideOrderItemIdentifiers": identifiers.provide_order_item_identifiers,
        "getOrderIdentifiersStatus": identifiers.get_order_identifiers_status,
        "getOrder": orders.get_order,
        "getOrders": orders.get_orders,
        "updateOrderStatus": orders.update_order_status,
        "getDeliveryServices": delivery_services.get_delivery_services,
        "getBusinessOrders": business_orders.get_business_orders,
        "acceptOrderCancellation": business_orders.accept_order_cancellation,
    }
)
