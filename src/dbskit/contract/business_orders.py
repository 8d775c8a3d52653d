"""getBusinessOrders (``POST v1/businesses/{businessId}/orders``) and acceptOrderCancellation
(``PUT v2/campaigns/{campaignId}/orders/{orderId}/cancellation/accept``): their requests and the
BusinessOrderDTO answer (spec GetBusinessOrdersRequest, GetBusinessOrdersResponse,
AcceptOrderCancellationRequest and the schemas they name).

Unlike OrderDTO (R-092), these documents write days as ``YYYY-MM-DD`` and moments as ISO 8601
with an offset.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from dbskit.contract import limits
from dbskit.contract._base import CampaignId, ContractModel, OrderId
from dbskit.contract.enums import (
    BuyerType,
    CancellationRejectReason,
    Currency,
    DeliveryPartnerType,
    DeliveryType,
    DigitalGoodsDeliveryType,
    DispatchType,
    InstanceType,
    OrderStatus,
    OrderSubstatus,
    PaymentMethod,
    PaymentType,
    SellingProgram,
    SourcePlatform,
    Vat,
)
from dbskit.contract.identifiers import OrderItemInstance
from dbskit.contract.orders import ForwardScrollingPagerDTO, OrderTrackDTO, RegionDTO
from dbskit.contract.parameters import IsoDayParameter, MomentParameter
from dbskit.contract.validation import check_unique

ExternalOrderId = Annotated[str, Field(min_length=1)]  # spec ExternalOrderId


# --- the request --------------------------------------------------------------------------------


class OrderDatesFilterDTO(ContractModel):
    creation_date_from: IsoDayParameter | None = Field(None, alias="creationDateFrom")
    creation_date_to: IsoDayParameter | None = Field(None, alias="creationDateTo")
    shipment_date_from: IsoDayParameter | None = Field(None, alias="shipmentDateFrom")
    shipment_date_to: IsoDayParameter | None = Field(None, alias="shipmentDateTo")
    update_date_from: MomentParameter | None = Field(None, alias="updateDateFrom")
    update_date_to: MomentParameter | None = Field(None, alias="updateDateTo")


class GetBusinessOrdersRequest(ContractModel):
    """Every list is optional, and when given holds 1.. values, each once (spec)."""

    order_ids: list[OrderId] | None = Field(
        None, alias="orderIds", min_length=1, max_length=limits.BUSINESS_ORDERS_IDS_MAX
    )
    external_order_ids: list[ExternalOrderId] | None = Field(
        None, alias="externalOrderIds", min_length=1, max_length=limits.BUSINESS_ORDERS_IDS_MAX
    )
    program_types: list[SellingProgram] | None = Field(None, alias="programTypes", min_length=1)
    campaign_ids: list[CampaignId] | None = Field(
        None, alias="campaignIds", min_length=1, max_length=limits.BUSINESS_ORDERS_CAMPAIGNS_MAX
    )
    statuses: list[OrderStatus] | None = Field(None, min_length=1)
    substatuses: list[OrderSubstatus] | None = Field(None, min_length=1)
    dates: OrderDatesFilterDTO | None = None
    fake: bool | None = None
    waiting_for_cancellation_approve: bool | None = Field(
        None, alias="waitingForCancellationApprove"
    )
    source_platforms: list[SourcePlatform] | None = Field(
        None, alias="sourcePlatforms", min_length=1
    )

    @field_validator(
        "order_ids",
        "external_order_ids",
        "program_types",
        "campaign_ids",
        "statuses",
        "substatuses",
        "source_platforms",
    )
    @classmethod
    def _unique_items(cls, value: list[Any] | None, info: Any) -> list[Any] | None:
        if value is None:
            return None
        check_unique(cls.model_fields[info.field_name].alias or info.field_name, value)
        return value


class AcceptOrderCancellationRequest(ContractModel):
    """R-102: ``accepted``; ``reason`` says why a rejected cancellation is rejected."""

    accepted: bool
    reason: CancellationRejectReason | None = None


# --- the answer ---------------------------------------------------------------------------------


class CurrencyValueDTO(ContractModel):
    value: float
    currency_id: Currency = Field(alias="currencyId")


class ItemPriceDTO(ContractModel):
    payment: CurrencyValueDTO | None = None
    vat: Vat | None = None


class DeliveryPriceDTO(ContractModel):
    payment: CurrencyValueDTO | None = None


class OrderPriceDTO(ContractModel):
    payment: CurrencyValueDTO | None = None
    delivery: DeliveryPriceDTO | None = None


class BusinessOrderItemDTO(ContractModel):
    id: int
    offer_id: str = Field(alias="offerId")
    offer_name: str = Field(alias="offerName")
    count: int
    prices: ItemPriceDTO | None = None
    instances: list[OrderItemInstance] | None = None
    required_instance_types: list[InstanceType] | None = Field(None, alias="requiredInstanceTypes")


class BusinessOrderDeliveryDatesDTO(ContractModel):
    from_date: str = Field(alias="fromDate")
    to_date: str | None = Field(None, alias="toDate")
    real_delivery_date: str | None = Field(None, alias="realDeliveryDate")


class BusinessOrderShipmentDTO(ContractModel):
    shipment_date: str = Field(alias="shipmentDate")


class BusinessOrderRegionPlaceDTO(ContractModel):
    """BusinessOrderCourierDeliveryDTO and BusinessOrderPickupDeliveryDTO: the region is what a
    test order knows of where it goes."""

    region: RegionDTO | None = None


class DigitalGoodsDeliveryDetailsDTO(ContractModel):
    type: DigitalGoodsDeliveryType
    steam_link: str | None = Field(None, alias="steamLink")  # STEAM_GIFT only


class BusinessOrderDeliveryDTO(ContractModel):
    type: DeliveryType
    service_name: str = Field(alias="serviceName")
    delivery_service_id: int = Field(alias="deliveryServiceId")
    delivery_partner_type: DeliveryPartnerType = Field(alias="deliveryPartnerType")
    dispatch_type: DispatchType = Field(alias="dispatchType")
    dates: BusinessOrderDeliveryDatesDTO
    shipment: BusinessOrderShipmentDTO | None = None
    courier: BusinessOrderRegionPlaceDTO | None = None
    pickup: BusinessOrderRegionPlaceDTO | None = None
    tracks: list[OrderTrackDTO] | None = None
    estimated: bool
    digital_goods: DigitalGoodsDeliveryDetailsDTO | None = Field(None, alias="digitalGoods")


class BusinessOrderDTO(ContractModel):
    order_id: int = Field(alias="orderId")
    campaign_id: int = Field(alias="campaignId")
    program_type: SellingProgram = Field(alias="programType")
    external_order_id: str | None = Field(None, alias="externalOrderId")
    status: OrderStatus
    substatus: OrderSubstatus
    creation_date: str = Field(alias="creationDate")
    update_date: str = Field(alias="updateDate")
    payment_type: PaymentType = Field(alias="paymentType")
    payment_method: PaymentMethod = Field(alias="paymentMethod")
    fake: bool
    items: list[BusinessOrderItemDTO]
    prices: OrderPriceDTO
    delivery: BusinessOrderDeliveryDTO
    buyer_type: BuyerType = Field(alias="buyerType")
    cancel_requested: bool = Field(alias="cancelRequested")
    source_platform: SourcePlatform = Field(alias="sourcePlatform")


class GetBusinessOrdersResponse(ContractModel):
    orders: list[BusinessOrderDTO]
    paging: ForwardScrollingPagerDTO
