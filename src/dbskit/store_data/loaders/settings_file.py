"""The store's settings file (TOML or YAML): store settings, regions, delivery rules, outlets.

Every entry is checked on load; docs/store-data.md describes each field with examples.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dbskit.contract import limits
from dbskit.contract.cart import CartPaymentMethod, RegionType, Weekday
from dbskit.contract.enums import Currency, DeliveryType
from dbskit.store_data.data import DEFAULT_TIME_ZONE, DIGITAL_OPTION_ID, DIGITAL_SERVICE_NAME

# Rule ids become option ids (R-054: at most 50 characters); pick-up groups append "+<n>d".
RULE_ID_MAX_LENGTH = limits.CART_OPTION_ID_MAX_LENGTH - len("+60d")
RULE_ID_PATTERN = r"^[A-Za-z0-9_.-]+$"
_CLOCK_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_INTERVAL_TIME = re.compile(limits.CART_TIME_PATTERN)

LeadDays = Annotated[int, Field(ge=0, le=limits.CART_LONG_DELIVERY_DAYS_MAX)]


def parse_clock(value: str) -> time:
    if not _CLOCK_TIME.match(value):
        raise ValueError(f"{value!r} is not a time of day HH:MM")
    return time(int(value[:2]), int(value[3:]))


class FileModel(BaseModel):
    # Unknown keys are mistakes in a file the seller writes: report them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class DigitalSection(FileModel):
    option_id: Annotated[str, Field(min_length=1, max_length=RULE_ID_MAX_LENGTH)] = (
        DIGITAL_OPTION_ID
    )
    service_name: Annotated[
        str, Field(min_length=1, max_length=limits.CART_SERVICE_NAME_MAX_LENGTH)
    ] = DIGITAL_SERVICE_NAME
    payment_methods: list[CartPaymentMethod] = Field(
        default_factory=lambda: [CartPaymentMethod.YANDEX], min_length=1
    )


class CatalogueSection(FileModel):
    path: Annotated[str, Field(min_length=1)]
    feed_id: int = Field(ge=1)
    seller_inn: str | None = Field(None, pattern=r"^(\d{10}|\d{12})$")


class StoreSection(FileModel):
    time_zone: str = DEFAULT_TIME_ZONE
    delivery_currency: Currency = Currency.RUR
    digital: DigitalSection = Field(default_factory=DigitalSection)


class RegionEntry(FileModel):
    id: int
    name: Annotated[str, Field(min_length=1)]
    type: RegionType
    parent: int | None = None


class RuleEntry(FileModel):
    id: Annotated[str, Field(min_length=1, max_length=RULE_ID_MAX_LENGTH, pattern=RULE_ID_PATTERN)]
    region: int
    type: Literal[DeliveryType.DELIVERY, DeliveryType.PICKUP, DeliveryType.POST]
    service_name: Annotated[
        str, Field(min_length=1, max_length=limits.CART_SERVICE_NAME_MAX_LENGTH)
    ]
    service_id: int | None = Field(None, ge=1)
    price: float = Field(0, ge=0)
    lead_days: LeadDays = 0
    cutoff: str = "23:59"
    span_days: LeadDays = 0
    intervals: list[tuple[str, str]] = Field(default_factory=list)
    days_off: list[Weekday] = Field(default_factory=list)
    holidays: list[date] = Field(default_factory=list)
    payment_methods: list[CartPaymentMethod] = Field(min_length=1)

    @field_validator("cutoff")
    @classmethod
    def _cutoff(cls, value: str) -> str:
        parse_clock(value)
        return value

    @field_validator("intervals")
    @classmethod
    def _intervals(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if len(value) > limits.CART_INTERVALS_MAX:
            raise ValueError(f"at most {limits.CART_INTERVALS_MAX} intervals a day (R-061)")
        for start, end in value:
            for moment in (start, end):
                if not _INTERVAL_TIME.match(moment):
                    raise ValueError(f"{moment!r}: interval times are HH:00 or 23:59 (R-062)")
            if start > limits.CART_FROM_TIME_MAX:
                raise ValueError(
                    f"{start!r}: an interval starts at {limits.CART_FROM_TIME_MAX} "
                    "at the latest (R-062)"
                )
            if start >= end:
                raise ValueError(f"{start!r}-{end!r}: an interval must end after it starts")
        return value

    @model_validator(mode="after")
    def _by_type(self) -> RuleEntry:
        if self.intervals and self.type != DeliveryType.DELIVERY:
            raise ValueError("intervals are for DELIVERY rules only (R-060)")
        if len(set(self.days_off)) == len(Weekday):
            raise ValueError("every weekday is a day off")
        return self


class OutletEntry(FileModel):
    code: Annotated[str, Field(min_length=1, max_length=limits.CART_OFFER_ID_MAX_LENGTH)]
    name: str = ""
    region: int
    extra_days: LeadDays = 0


class RestrictionEntry(FileModel):
    """Offers that may travel only to these regions (and their descendants)."""

    offers: list[str] = Field(min_length=1)
    regions: list[int] = Field(min_length=1)
    feed_id: int | None = Field(None, ge=1)


class StoreFile(FileModel):
    store: StoreSection = Field(default_factory=StoreSection)
    catalogue: CatalogueSection
    regions: list[RegionEntry] = Field(min_length=1)
    delivery: list[RuleEntry] = Field(default_factory=list)
    outlets: list[OutletEntry] = Field(default_factory=list)
    restrictions: list[RestrictionEntry] = Field(default_factory=list)
