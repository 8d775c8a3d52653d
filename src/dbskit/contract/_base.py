"""Shared pydantic configuration and id types for the contract models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
CampaignId = Annotated[int, Field(ge=1, le=INT64_MAX)]  # min value 1
OrderId = Int64


class ContractModel(BaseModel):
    """Base of every request and answer document.

    Field names follow the Market's JSON; unknown request fields are ignored, as the Market's
    own deserialiser does, unless a model forbids them explicitly.
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=False)
