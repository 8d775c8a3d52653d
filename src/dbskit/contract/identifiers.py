"""PUT identifiers and POST identifiers/status: requests and answers (R-029..R-034, R-121).

The request models check only the JSON types: the formats of ``cis``, ``uin``, ``rnpt``, ``gtd``
and ``countryCode`` are the Market's business checks with error codes of their own
(``INVALID_CIS``, ``INVALID_COUNTRY_CODE``, ...), applied in ``market/domain/marking.py``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer

from dbskit.contract._base import ContractModel, Int64
from dbskit.contract.enums import CisStatus, CisSubstatus, UinStatus, UinSubstatus, Vat


def json_number(value: Decimal) -> int | float:
    """A price as the wire writes it: a plain JSON number (R-034: ``price`` is a number)."""
    return int(value) if value == value.to_integral_value() else float(value)


# Prices are exact in storage and plain JSON numbers on the wire.
Price = Annotated[Decimal, PlainSerializer(json_number, return_type=int | float, when_used="json")]


class BriefOrderItemInstance(ContractModel):
    """One unit's identifier: fill the field of the system the unit is marked in (R-030)."""

    cis: str | None = None
    uin: str | None = None
    rnpt: str | None = None
    gtd: str | None = None
    country_code: str | None = Field(None, alias="countryCode")


class OrderItemInstanceModification(ContractModel):
    """An order item and the codes of its units (R-029)."""

    id: Int64
    instances: list[BriefOrderItemInstance]


class ProvideOrderItemIdentifiersRequest(ContractModel):
    items: list[OrderItemInstanceModification]


class OrderItemInstance(BriefOrderItemInstance):
    """A stored code; «Честный ЗНАК» codes come twice: ``cis`` and ``cisFull`` (R-034, OQ-09)."""

    cis_full: str | None = Field(None, alias="cisFull")


class BriefOrderItem(ContractModel):
    """Brief item data beside its stored codes (R-034)."""

    id: Int64
    vat: Vat
    count: int
    price: Price
    offer_name: str = Field(alias="offerName")
    offer_id: str = Field(alias="offerId")
    instances: Annotated[list[OrderItemInstance], Field(min_length=1)] | None = None


class OrderItemsModificationResult(ContractModel):
    items: list[BriefOrderItem]


class ProvideOrderItemIdentifiersResponse(ContractModel):
    status: Literal["OK"] = "OK"
    result: OrderItemsModificationResult


class CisValidation(ContractModel):
    """``CisDTO`` (R-121)."""

    value: str
    status: CisStatus
    substatus: CisSubstatus | None = None


class UinValidation(ContractModel):
    """``UinDTO`` (R-121)."""

    value: str
    status: UinStatus
    substatus: UinSubstatus | None = None


class OrderItemValidationStatus(ContractModel):
    id: Int64
    uin: Annotated[list[UinValidation], Field(min_length=1)] | None = None
    cis: Annotated[list[CisValidation], Field(min_length=1)] | None = None


class GetOrderIdentifiersStatusResult(ContractModel):
    items: list[OrderItemValidationStatus]


class GetOrderIdentifiersStatusResponse(ContractModel):
    status: Literal["OK"] = "OK"
    result: GetOrderIdentifiersStatusResult
