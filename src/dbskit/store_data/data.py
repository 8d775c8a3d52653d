"""Everything the responder reads, bundled so that a reload swaps one reference."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from dbskit.contract.cart import CartPaymentMethod, StoreDataSummary
from dbskit.contract.enums import Currency
from dbskit.store_data.catalogue import Catalogue
from dbskit.store_data.delivery_rules import DeliveryRules
from dbskit.store_data.regions import RegionTree

DEFAULT_TIME_ZONE = "Europe/Moscow"
# OQ-21: the option answered for a basket of digital goods.
DIGITAL_SERVICE_NAME = "Digital delivery"
DIGITAL_OPTION_ID = "digital"


@dataclass(frozen=True, slots=True)
class DigitalDelivery:
    option_id: str = DIGITAL_OPTION_ID
    service_name: str = DIGITAL_SERVICE_NAME
    payment_methods: tuple[CartPaymentMethod, ...] = (CartPaymentMethod.YANDEX,)


@dataclass(frozen=True, slots=True)
class StoreSettings:
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))
    delivery_currency: Currency = Currency.RUR
    digital: DigitalDelivery = field(default_factory=DigitalDelivery)


@dataclass(frozen=True, slots=True)
class StoreData:
    settings: StoreSettings
    catalogue: Catalogue
    regions: RegionTree
    rules: DeliveryRules
    source: str = ""  # where it was loaded from, for reports
    # Delivery dates already computed (see shop.cart.option_dates); new data start afresh.
    dates_memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)
    # Requested region chains, what serves each region and its options of the day's current
    # phase (see shop.cart.region_delivery).
    regions_memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)
    deliveries_memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)
    options_memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def summary(self) -> StoreDataSummary:
        return StoreDataSummary(
            source=self.source,
            offers=len(self.catalogue),
            regions=len(self.regions),
            rules=len(self.rules),
            outlets=self.rules.outlet_count,
        )
