"""POST /cart (Market -> store): the request, the answer and the store's error body.

Request models follow seed:003 (R-041..R-044); unknown fields are ignored (C-18). Answer models
(R-045..R-065) carry the field names and types only: the rules an answer must obey live in the
responder (``dbskit.shop.cart``) and in the checks that verify a store, so a broken answer can
still be read and reported field by field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from dbskit.contract import limits
from dbskit.contract._base import ContractModel, Int64
from dbskit.contract.enums import BuyerType, Currency

# offerId / shopSku; leading and trailing spaces are not significant (see ``sku_key``).
Sku = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=limits.CART_OFFER_ID_MAX_LENGTH, pattern=limits.OFFER_ID_PATTERN
    ),
]


def sku_key(value: str) -> str:
    """R-044: ``" SKU123 "`` and ``"SKU123"`` name the same offer."""
    return value.strip()


class RegionType(StrEnum):
    """R-043: the push API's region types (not the Partner API RegionType)."""

    OTHER = "OTHER"
    CITY_DISTRICT = "CITY_DISTRICT"
    CITY = "CITY"
    CONTINENT = "CONTINENT"
    COUNTRY_DISTRICT = "COUNTRY_DISTRICT"
    COUNTRY = "COUNTRY"
    REGION = "REGION"
    METRO_STATION = "METRO_STATION"
    MONORAIL_STATION = "MONORAIL_STATION"
    OVERSEAS_TERRITORY = "OVERSEAS_TERRITORY"
    SECONDARY_DISTRICT = "SECONDARY_DISTRICT"
    SETTLEMENT = "SETTLEMENT"
    SUBJECT_FEDERATION = "SUBJECT_FEDERATION"
    SUBJECT_FEDERATION_DISTRICT = "SUBJECT_FEDERATION_DISTRICT"
    VILLAGE = "VILLAGE"
    SUBURB = "SUBURB"


class PromoType(StrEnum):
    """R-044 ``promos[].type`` (the last four of the obsolete ones are still accepted)."""

    DIRECT_DISCOUNT = "DIRECT_DISCOUNT"
    BLUE_SET = "BLUE_SET"
    BLUE_FLASH = "BLUE_FLASH"
    GENERIC_BUNDLE = "GENERIC_BUNDLE"
    MARKET_COUPON = "MARKET_COUPON"
    MARKET_PROMOCODE = "MARKET_PROMOCODE"
    MARKET_BLUE = "MARKET_BLUE"
    MARKET_COIN = "MARKET_COIN"
    PRICE_DROP_AS_YOU_SHOP = "PRICE_DROP_AS_YOU_SHOP"
    SECRET_SALE = "SECRET_SALE"  # noqa: S105 - a promo type
    CHEAPEST_AS_GIFT = "CHEAPEST_AS_GIFT"
    CASHBACK = "CASHBACK"
    SPREAD_DISCOUNT_COUNT = "SPREAD_DISCOUNT_COUNT"
    SPREAD_DISCOUNT_RECEIPT = "SPREAD_DISCOUNT_RECEIPT"
    DISCOUNT_BY_PAYMENT_TYPE = "DISCOUNT_BY_PAYMENT_TYPE"
    PERCENT_DISCOUNT = "PERCENT_DISCOUNT"
    DCO_EXTRA_DISCOUNT = "DCO_EXTRA_DISCOUNT"
    UNKNOWN = "UNKNOWN"


class CartPaymentMethod(StrEnum):
    """OQ-20: ``SHOP_PREPAID`` (seed:003 samples) plus the Partner API's order payment methods
    (``contract.enums.PaymentMethod``) without ``UNKNOWN``."""

    SHOP_PREPAID = "SHOP_PREPAID"
    YANDEX = "YANDEX"
    APPLE_PAY = "APPLE_PAY"
    GOOGLE_PAY = "GOOGLE_PAY"
    CREDIT = "CREDIT"
    TINKOFF_CREDIT = "TINKOFF_CREDIT"
    TINKOFF_INSTALLMENTS = "TINKOFF_INSTALLMENTS"
    EXTERNAL_CERTIFICATE = "EXTERNAL_CERTIFICATE"
    SBP = "SBP"
    B2B_ACCOUNT_PREPAYMENT = "B2B_ACCOUNT_PREPAYMENT"
    MICROCREDIT = "MICROCREDIT"
    CARD_ON_DELIVERY = "CARD_ON_DELIVERY"
    BOUND_CARD_ON_DELIVERY = "BOUND_CARD_ON_DELIVERY"
    BNPL_BANK_ON_DELIVERY = "BNPL_BANK_ON_DELIVERY"
    BNPL_ON_DELIVERY = "BNPL_ON_DELIVERY"
    BNPL_TBYB = "BNPL_TBYB"
    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    B2B_ACCOUNT_POSTPAYMENT = "B2B_ACCOUNT_POSTPAYMENT"


class Weekday(StrEnum):
    """R-043 ``schedule[].fromDay`` / ``toDay``; also the store's days off."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @property
    def number(self) -> int:
        """0 for Monday, as ``date.weekday()``."""
        return list(Weekday).index(self)


# --- Request (R-041..R-044) ---------------------------------------------------------------------


class CartBuyer(ContractModel):
    id: str | None = None
    last_name: str | None = Field(None, alias="lastName")
    first_name: str | None = Field(None, alias="firstName")
    middle_name: str | None = Field(None, alias="middleName")
    email: str | None = None
    type: BuyerType | None = None
    phone: str | None = None
    uid: Int64 | None = None


class CartRegion(ContractModel):
    """R-043: the delivery region with its parents up to the country."""

    id: Int64
    name: str | None = None
    type: RegionType | None = None
    parent: CartRegion | None = None

    def chain_ids(self) -> list[int]:
        """This region's id, then its parents' ids, nearest first."""
        ids: list[int] = []
        region: CartRegion | None = self
        while region is not None:
            ids.append(region.id)
            region = region.parent
        return ids


class ScheduleEntry(ContractModel):
    from_day: Weekday | None = Field(None, alias="fromDay")
    to_day: Weekday | None = Field(None, alias="toDay")
    from_time: str = Field(alias="fromTime", min_length=1)
    to_time: str = Field(alias="toTime", min_length=1)


class CartAddress(ContractModel):
    country: str | None = None
    postcode: str | None = None
    city: str | None = None
    district: str | None = None
    subway: str | None = None
    street: str | None = None
    house: str | None = None
    block: str | None = None
    entrance: str | None = None
    entryphone: str | None = None
    floor: str | None = None
    apartment: str | None = None
    lat: float | None = None
    lon: float | None = None
    phone: str | None = None
    recipient: str | None = None
    notes: str | None = None
    outlet_phones: list[str | None] | None = Field(None, alias="outletPhones")
    schedule: list[ScheduleEntry | None] | None = None


class OutletCode(ContractModel):
    code: str


class CartDelivery(ContractModel):
    region: CartRegion
    address: CartAddress | None = None
    estimated: bool | None = None
    outlet: OutletCode | None = None


class CartPromo(ContractModel):
    type: PromoType | None = None
    subsidy: float | None = None
    market_promo_id: str | None = Field(None, alias="marketPromoId")


class CartItem(ContractModel):
    # The R-044 pattern has a look-ahead, which only Python's engine supports.
    model_config = ConfigDict(regex_engine="python-re")

    id: Int64 | None = None
    feed_id: Int64 = Field(alias="feedId")
    offer_id: Sku = Field(alias="offerId")
    feed_category_id: str | None = Field(None, alias="feedCategoryId")
    offer_name: str | None = Field(None, alias="offerName")
    price: float | None = None
    subsidy: float | None = None
    count: int = Field(ge=1, le=limits.CART_COUNT_MAX)
    shop_sku: Sku | None = Field(None, alias="shopSku")
    warehouse_id: Int64 | None = Field(None, alias="warehouseId")
    partner_warehouse_id: str | None = Field(None, alias="partnerWarehouseId")
    fulfilment_shop_id: Int64 | None = Field(None, alias="fulfilmentShopId")
    price_before_discount: float | None = Field(None, alias="priceBeforeDiscount")
    promos: list[CartPromo] | None = None


class Cart(ContractModel):
    business_id: Int64 | None = Field(None, alias="businessId")
    currency: Currency | None = None
    delivery_currency: Currency | None = Field(None, alias="deliveryCurrency")
    buyer: CartBuyer | None = None
    delivery: CartDelivery
    items: list[CartItem] = Field(min_length=1)


class CartRequest(ContractModel):
    """``{"cart": {...}}`` — what the Market sends (R-041)."""

    cart: Cart


# --- Answer (R-045..R-065) ----------------------------------------------------------------------


class CartAnswerItem(ContractModel):
    """R-046: ``feedId`` and ``offerId`` as asked; never ``feedCategoryId``."""

    feed_id: int = Field(alias="feedId")
    offer_id: str = Field(alias="offerId")
    count: int
    delivery: bool | None = None
    seller_inn: str | None = Field(None, alias="sellerInn")


class DeliveryInterval(ContractModel):
    date: str
    from_time: str = Field(alias="fromTime")
    to_time: str = Field(alias="toTime")


class DeliveryDates(ContractModel):
    from_date: str = Field(alias="fromDate")
    to_date: str | None = Field(None, alias="toDate")
    intervals: list[DeliveryInterval] | None = None


class DeliveryOption(ContractModel):
    id: str | None = None
    price: float
    delivery_service_id: int | None = Field(None, alias="deliveryServiceId")
    service_name: str = Field(alias="serviceName")
    type: str
    dates: DeliveryDates
    outlets: list[OutletCode] | None = None
    payment_methods: list[str] | None = Field(None, alias="paymentMethods")


class CartAnswerBody(ContractModel):
    delivery_currency: str | None = Field(None, alias="deliveryCurrency")
    items: list[CartAnswerItem]
    delivery_options: list[DeliveryOption] = Field(alias="deliveryOptions")
    payment_methods: list[str] = Field(alias="paymentMethods")


class CartAnswer(ContractModel):
    """``{"cart": {...}}`` — what the store answers (R-045)."""

    cart: CartAnswerBody


# --- The store's error body (OQ-18) -------------------------------------------------------------


class StoreError(ContractModel):
    code: str
    message: str


class StoreErrorBody(ContractModel):
    """OQ-18: the body of the store's 400/403/500 answers."""

    error: StoreError


class StoreDataSummary(ContractModel):
    """The answer of the store's ``POST /admin/reload``: what is now in use."""

    status: str = "OK"
    source: str
    offers: int
    regions: int
    rules: int
    outlets: int
