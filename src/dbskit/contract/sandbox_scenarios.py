"""Scenario files (``POST /sandbox/scenarios``, ``dbskit sandbox load``): a sandbox set up in
one document. dbskit's own documents, not the Market's.

Each entry has a ``name`` and one kind, whose value is the body of the /sandbox call that makes
the same thing, read by that call's own model (the same fields, bounds and messages), plus the
name of an earlier entry where the call takes an id: ``business`` for a campaign or a key,
``campaign`` for an order, ``order`` for a cancellation request.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from pydantic import Field, StrictBool, model_validator

from dbskit.contract._base import CampaignId, ContractModel
from dbskit.contract.enums import OrderStatus, OrderSubstatus
from dbskit.contract.sandbox import ClockChange, SandboxOrderRequest
from dbskit.contract.sandbox_access import (
    NAME_MAX_LENGTH,
    BusinessId,
    CampaignCreate,
    TokenCreate,
    TokenType,
)
from dbskit.contract.sandbox_campaigns import BuyerCancellationTrigger

# Ours: enough for any test set-up; every entry is written in the load's one transaction.
SCENARIO_ENTRIES_MAX: Final = 1000
ENTRY_NAME_MAX_LENGTH: Final = 100
# A name is a word of the file (letters, digits, "-", "_", "."), so that a message can quote it.
ENTRY_NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def _reference() -> Any:
    """A field naming an earlier entry (optional where an id may be given instead)."""
    return Field(None, min_length=1, max_length=ENTRY_NAME_MAX_LENGTH, pattern=ENTRY_NAME_PATTERN)


class EntryKind(StrEnum):
    """The kinds of entry, as the file spells their keys."""

    BUSINESS = "business"
    CAMPAIGN = "campaign"
    KEY = "key"
    ORDER = "order"
    CANCELLATION_REQUEST = "cancellationRequest"


class ScenarioBusiness(ContractModel):
    """A business of its own (a campaign without one gets a new business too)."""

    name: str | None = Field(None, min_length=1, max_length=NAME_MAX_LENGTH)


class ScenarioCampaign(CampaignCreate):
    """``POST /sandbox/campaigns``; ``business`` names a business entry (or ``businessId`` an
    existing business; neither: a new business)."""

    business: str | None = _reference()

    @model_validator(mode="after")
    def _one_business(self) -> ScenarioCampaign:
        if self.business is not None and self.business_id is not None:
            raise ValueError("Only one of fields business and businessId may be given")
        return self


class ScenarioKey(TokenCreate):
    """``POST /sandbox/tokens``: an Api-Key (or OAuth token) of the business ``business`` names
    (or of ``businessId``)."""

    business_id: BusinessId | None = Field(None, alias="businessId", ge=1)  # type: ignore[assignment]
    business: str | None = _reference()

    @model_validator(mode="after")
    def _one_business(self) -> ScenarioKey:
        if (self.business is None) == (self.business_id is None):
            raise ValueError("Exactly one of fields business and businessId is required")
        return self


class ScenarioOrder(SandboxOrderRequest):
    """``POST /sandbox/campaigns/{campaignId}/orders``: a test order placed in ``status`` /
    ``substatus``, in the campaign ``campaign`` names (or ``campaignId``)."""

    campaign: str | None = _reference()
    campaign_id: CampaignId | None = Field(None, alias="campaignId")

    @model_validator(mode="after")
    def _one_campaign(self) -> ScenarioOrder:
        if (self.campaign is None) == (self.campaign_id is None):
            raise ValueError("Exactly one of fields campaign and campaignId is required")
        return self


class ScenarioCancellationRequest(BuyerCancellationTrigger):
    """The buyer asks to cancel the order ``order`` names, which is in DELIVERY or PICKUP: the
    buyer-cancellation trigger's request (R-102), open 48 hours on the sandbox clock."""

    order: str = Field(min_length=1, max_length=ENTRY_NAME_MAX_LENGTH, pattern=ENTRY_NAME_PATTERN)


class ScenarioEntry(ContractModel):
    """One named thing; exactly one of the kinds."""

    name: str = Field(min_length=1, max_length=ENTRY_NAME_MAX_LENGTH, pattern=ENTRY_NAME_PATTERN)
    business: ScenarioBusiness | None = None
    campaign: ScenarioCampaign | None = None
    key: ScenarioKey | None = None
    order: ScenarioOrder | None = None
    cancellation_request: ScenarioCancellationRequest | None = Field(
        None, alias="cancellationRequest"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> ScenarioEntry:
        given = [kind for kind in EntryKind if self.body(kind) is not None]
        if len(given) != 1:
            kinds = ", ".join(kind.value for kind in EntryKind)
            raise ValueError(f"Exactly one of fields {kinds} is required")
        return self

    def body(
        self, kind: EntryKind
    ) -> (
        ScenarioBusiness
        | ScenarioCampaign
        | ScenarioKey
        | ScenarioOrder
        | ScenarioCancellationRequest
        | None
    ):
        if kind is EntryKind.CANCELLATION_REQUEST:
            return self.cancellation_request
        found: ScenarioBusiness | ScenarioCampaign | ScenarioKey | ScenarioOrder | None = getattr(
            self, kind.value
        )
        return found

    @property
    def kind(self) -> EntryKind:
        return next(kind for kind in EntryKind if self.body(kind) is not None)


class Scenario(ContractModel):
    """The file: the clock first (``now`` or ``advanceSeconds``, as ``POST /sandbox/clock``),
    then the entries in order. ``notify: false`` (the default) records no notification."""

    clock: ClockChange | None = None
    notify: StrictBool = False
    entries: list[ScenarioEntry] = Field(min_length=1, max_length=SCENARIO_ENTRIES_MAX)


class LoadedEntry(ContractModel):
    """What one entry made: ``id`` is the id of its kind (business, campaign, token, order; the
    order's for a cancellation request), beside the ids it belongs to."""

    kind: EntryKind
    id: int
    business_id: int | None = Field(None, alias="businessId")
    campaign_id: int | None = Field(None, alias="campaignId")
    order_id: int | None = Field(None, alias="orderId")
    token_type: TokenType | None = Field(None, alias="type")
    # Shown once, like ``POST /sandbox/tokens``: only a hash is stored.
    api_key: str | None = Field(None, alias="apiKey")
    oauth_token: str | None = Field(None, alias="oauthToken")
    status: OrderStatus | None = None
    substatus: OrderSubstatus | None = None
    cancel_requested: bool | None = Field(None, alias="cancelRequested")


class ScenarioLoaded(ContractModel):
    """``POST /sandbox/scenarios``: the sandbox clock the entries were made at and what each
    name stands for."""

    now: datetime
    notify: bool
    names: dict[str, LoadedEntry]
