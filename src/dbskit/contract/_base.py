"""Shared pydantic configuration and id types for the contract models."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
# R-003 gives campaignId a minimum of 1; the Market's ids are all positive, so ours (orderId
# included, which the spec leaves at int64) are held to it too (docs/decisions.md, "Parameters
# and JSON types").
ID_MIN = 1

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
CampaignId = Annotated[int, Field(ge=ID_MIN, le=INT64_MAX)]  # min value 1
OrderId = Annotated[int, Field(ge=ID_MIN, le=INT64_MAX)]  # R-003, positive like every id


def _json_number(value: Any) -> Decimal:
    """A number as JSON writes it: pydantic reads ``"1.5"`` into a Decimal even when strict."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise PydanticCustomError("decimal_type", "Decimal input should be a number")
    return value if isinstance(value, Decimal) else Decimal(str(value))


# A request's money: a JSON number, kept exact (the shortest text of the parsed number).
JsonDecimal = Annotated[Decimal, BeforeValidator(_json_number)]


class ContractModel(BaseModel):
    """Base of every request and answer document.

    Field names follow the Market's JSON; unknown request fields are ignored, as the Market's
    own deserialiser does, unless a model forbids them explicitly.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=False)
