"""Sandbox documents for a campaign's settings and the Market-side events a seller triggers
(dbskit's own, not the Market's).

A campaign's settings are what the seller enters in the cabinet: where the Market pushes carts
(R-039) and where it sends API notifications (R-113). A change takes the same checks as the
creation (``sandbox_access.CampaignCreate``): the same bounds give the same messages.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, JsonValue, model_validator

from dbskit.contract._base import ContractModel
from dbskit.contract.enums import OrderSubstatus
from dbskit.contract.outbox import OutboxMessage
from dbskit.contract.parameters import DayParameter
from dbskit.contract.sandbox_access import (
    NAME_MAX_LENGTH,
    PUSH_AUTH_TOKEN_MAX_LENGTH,
    URL_MAX_LENGTH,
    URL_PATTERN,
    PushAuthMode,
)

# How the Partner API spec names its DD-MM-YYYY days, for the control plane's OpenAPI.
DAY_FORMAT: dict[str, JsonValue] = {"format": "date-dd-MM-yyyy"}


class CampaignSettings(ContractModel):
    """``GET /sandbox/campaigns/{campaignId}``: the campaign as the seller set it up."""

    campaign_id: int = Field(alias="campaignId")
    business_id: int = Field(alias="businessId")
    name: str
    active: bool
    push_url: str | None = Field(alias="pushUrl")
    push_auth_token: str | None = Field(alias="pushAuthToken")
    push_auth_mode: PushAuthMode = Field(alias="pushAuthMode")
    notification_url: str | None = Field(alias="notificationUrl")


class CampaignSettingsChange(ContractModel):
    """``PATCH /sandbox/campaigns/{campaignId}``: the fields given change, the others stay;
    ``null`` clears a URL or the token."""

    name: str | None = Field(None, min_length=1, max_length=NAME_MAX_LENGTH)
    push_url: str | None = Field(
        None, alias="pushUrl", max_length=URL_MAX_LENGTH, pattern=URL_PATTERN
    )
    push_auth_token: str | None = Field(
        None, alias="pushAuthToken", min_length=1, max_length=PUSH_AUTH_TOKEN_MAX_LENGTH
    )
    push_auth_mode: PushAuthMode | None = Field(None, alias="pushAuthMode")
    notification_url: str | None = Field(
        None, alias="notificationUrl", max_length=URL_MAX_LENGTH, pattern=URL_PATTERN
    )

    @model_validator(mode="after")
    def _kept_fields_not_null(self) -> CampaignSettingsChange:
        for name in ("name", "push_auth_mode"):
            if name in self.model_fields_set and getattr(self, name) is None:
                alias = type(self).model_fields[name].alias or name
                raise ValueError(f"Field {alias} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The columns to write: every field the body named, by its Python name."""
        return {name: getattr(self, name) for name in self.model_fields_set}


# --- Market-side events on demand ---------------------------------------------------------------


class BuyerCancellationTrigger(ContractModel):
    """The buyer cancels: at once while PROCESSING, as a request once DELIVERY/PICKUP (R-102)."""

    reason: OrderSubstatus = OrderSubstatus.USER_CHANGED_MIND


class DeliveryDateChangeTrigger(ContractModel):
    """The Market moves the delivery dates (``DD-MM-YYYY``, like the order shows them)."""

    from_date: DayParameter = Field(alias="fromDate", json_schema_extra=DAY_FORMAT)
    to_date: DayParameter | None = Field(None, alias="toDate", json_schema_extra=DAY_FORMAT)

    @model_validator(mode="after")
    def _ordered(self) -> DeliveryDateChangeTrigger:
        if self.to_date is not None and self.to_date < self.from_date:
            raise ValueError("Field toDate must not be before fromDate")
        return self


class TriggeredNotifications(ContractModel):
    """What a trigger made the Market send: the outbox entries it queued, as
    ``GET /sandbox/outbox`` shows them."""

    notifications: list[OutboxMessage]
