"""Order documents of the Partner API: OrderDTO and the getOrder, getOrders and updateOrderStatus
requests and answers (R-104, R-119, R-120; spec OrderDTO.yaml and the files it names).

Dates in OrderDTO follow R-092: ``DD-MM-YYYY`` and ``DD-MM-YYYY HH:mm:ss``; the request's
``realDeliveryDate`` is ``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, field_validator

from dbskit.contract._base import ContractModel
from dbskit.contract.enums import (
    BuyerType,
    Currency,
    DeliveryPartnerType,
    DeliveryType,
    DispatchType,
    InstanceType,
    OrderStatus,
    OrderSubstatus,
    PaymentMethod,
    PaymentType,
    TaxSystem,
    Vat,
)
from dbskit.contract.errors import Messages
from dbskit.contract.identifiers import OrderItemInstance

# --- OrderDTO -----------------------------------------------------------------------------------


class OrderItemDTO(ContractModel):
    id: int
    offer_id: str = Field(alias="offerId")
    offer_name: str = Field(alias="offerName")
    price: float
    buyer_price: float = Field(alias="buyerPrice")
    buyer_price_before_discount: float = Field(alias="buyerPriceBeforeDiscount")
    count: int
    vat: Vat
    required_instance_types: list[InstanceType] | None = Field(None, alias="requiredInstanceTypes")
    # the codes sent through PUT identifiers; absent before the first submission.
    instances: list[OrderItemInstance] | None = None


class OrderDeliveryDatesDTO(ContractModel):
    from_date: str = Field(alias="fromDate")
    to_date: str | None = Field(None, alias="toDate")
    real_delivery_date: str | None = Field(None, alias="realDeliveryDate")


class RegionDTO(ContractModel):
    id: int
    name: str
    type: str


class OrderShipmentDTO(ContractModel):
    shipment_date: str | None = Field(None, alias="shipmentDate")


class OrderTrackDTO(ContractModel):
    """R-021: a track number the store sent through delivery/track."""

    track_code: str | None = Field(None, alias="trackCode")
    delivery_service_id: int = Field(alias="deliveryServiceId")


class OrderDeliveryDTO(ContractModel):
    type: DeliveryType
    service_name: str = Field(alias="serviceName")
    delivery_partner_type: DeliveryPartnerType = Field(alias="deliveryPartnerType")
    dates: OrderDeliveryDatesDTO
    region: RegionDTO | None = None
    delivery_service_id: int = Field(alias="deliveryServiceId")
    dispatch_type: DispatchType = Field(alias="dispatchType")
    shipments: list[OrderShipmentDTO] | None = None
    estimated: bool
    tracks: list[OrderTrackDTO] | None = None  # R-021, OQ-06: the current track


class OrderBuyerDTO(ContractModel):
    type: BuyerType


class OrderDTO(ContractModel):
    id: int
    status: OrderStatus
    substatus: OrderSubstatus
    creation_date: str = Field(alias="creationDate")
    updated_at: str = Field(alias="updatedAt")
    currency: Currency
    items_total: float = Field(alias="itemsTotal")
    delivery_total: float = Field(alias="deliveryTotal")
    buyer_items_total_before_discount: float = Field(alias="buyerItemsTotalBeforeDiscount")
    payment_type: PaymentType = Field(alias="paymentType")
    payment_method: PaymentMethod = Field(alias="paymentMethod")
    fake: bool
    items: list[OrderItemDTO]
    delivery: OrderDeliveryDTO
    buyer: OrderBuyerDTO
    tax_system: TaxSystem = Field(alias="taxSystem")
    cancel_requested: bool = Field(alias="cancelRequested")


class GetOrderResponse(ContractModel):
    order: OrderDTO


class UpdateOrderStatusResponse(ContractModel):
    order: OrderDTO


class FlippingPagerDTO(ContractModel):
    total: int
    from_: int = Field(alias="from")
    to: int
    current_page: int = Field(alias="currentPage")
    pages_count: int = Field(alias="pagesCount")
    page_size: int = Field(alias="pageSize")


class ForwardScrollingPagerDTO(ContractModel):
    next_page_token: str | None = Field(None, alias="nextPageToken")


class GetOrdersResponse(ContractModel):
    pager: FlippingPagerDTO | None = None
    orders: list[OrderDTO]
    paging: ForwardScrollingPagerDTO | None = None


# --- updateOrderStatus request (R-104) ----------------------------------------------------------


class OrderStatusChangeDeliveryDatesDTO(ContractModel):
    real_delivery_date: date | None = Field(None, alias="realDeliveryDate", strict=True)


class OrderStatusChangeDeliveryDTO(ContractModel):
    dates: OrderStatusChangeDeliveryDatesDTO | None = None


class OrderStatusChangeDTO(ContractModel):
    status: str
    substatus: OrderSubstatus | None = None
    delivery: OrderStatusChangeDeliveryDTO | None = None

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str:
        # R-081 gives this text for a status the Market does not know.
        if value not in OrderStatus.__members__:
            raise ValueError(Messages.INVALID_STATUS.format(status=value))
        return value

    @property
    def real_delivery_date(self) -> date | None:
        if self.delivery is None or self.delivery.dates is None:
            return None
        return self.delivery.dates.real_delivery_date


class UpdateOrderStatusRequest(ContractModel):
    order: OrderStatusChangeDTO
