"""Sandbox documents of the reset (``/sandbox/reset``); dbskit's own, not the Market's."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictBool

from dbskit.contract._base import ContractModel, Int64


class ResetRequest(ContractModel):
    """``POST /sandbox/reset``: everything, or one campaign's part (``campaignId``)."""

    campaign_id: Int64 | None = Field(None, alias="campaignId", ge=1, strict=True)


class ResetDone(ContractModel):
    """What a reset deleted, by kind; ``clockReset`` whether the clock went back to real time
    (a full reset), and the clock's now after it."""

    campaign_id: int | None = Field(None, alias="campaignId")
    deleted: dict[str, int]
    clock_reset: StrictBool = Field(alias="clockReset")
    now: datetime
