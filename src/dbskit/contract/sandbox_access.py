"""Sandbox documents for businesses, campaigns and tokens (dbskit's own, not the Market's)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, StrictBool, model_validator

from dbskit.contract import limits
from dbskit.contract._base import ContractModel, Int64
from dbskit.contract.operations import Scope

NAME_MAX_LENGTH = 255
URL_MAX_LENGTH = 2048
URL_PATTERN = r"^https?://\S+$"
PUSH_AUTH_TOKEN_MAX_LENGTH = 255
BusinessId = Int64


class PushAuthMode(StrEnum):
    """How the Market hands the store its authorisation token on push calls (seed:003)."""

    HEADER = "HEADER"
    URL = "URL"


class TokenType(StrEnum):
    """Api-Key (R-073) or the deprecated OAuth token (R-074)."""

    API_KEY = "API_KEY"
    OAUTH = "OAUTH"


class CampaignCreate(ContractModel):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX_LENGTH)
    business_id: BusinessId | None = Field(None, alias="businessId", ge=1)
    push_url: str | None = Field(
        None, alias="pushUrl", max_length=URL_MAX_LENGTH, pattern=URL_PATTERN
    )
    push_auth_token: str | None = Field(
        None, alias="pushAuthToken", min_length=1, max_length=PUSH_AUTH_TOKEN_MAX_LENGTH
    )
    push_auth_mode: PushAuthMode = Field(PushAuthMode.HEADER, alias="pushAuthMode")
    notification_url: str | None = Field(
        None, alias="notificationUrl", max_length=URL_MAX_LENGTH, pattern=URL_PATTERN
    )


class CampaignCreated(ContractModel):
    business_id: int = Field(alias="businessId")
    campaign_id: int = Field(alias="campaignId")


class CampaignActivity(ContractModel):
    """Switch a campaign's store on or off (R-079: the API is closed for an inactive store)."""

    active: StrictBool  # "no" or 0 is an error, not False


class CampaignActivityChanged(ContractModel):
    campaign_id: int = Field(alias="campaignId")
    active: bool


class TokenCreate(ContractModel):
    """An Api-Key holds one or more scopes (R-077); an OAuth token cannot be limited (R-076)."""

    business_id: BusinessId = Field(alias="businessId", ge=1)
    type: TokenType = TokenType.API_KEY
    scopes: list[Scope] | None = Field(None, min_length=1, max_length=len(Scope))

    @model_validator(mode="after")
    def _scopes_match_the_type(self) -> TokenCreate:
        if self.type is TokenType.API_KEY and self.scopes is None:
            raise ValueError("Missing field scopes: an API_KEY token needs at least one scope")
        if self.type is TokenType.OAUTH and self.scopes is not None:
            raise ValueError("Field scopes must be absent: an OAUTH token cannot be limited")
        return self


class TokenCreated(ContractModel):
    token_id: int = Field(alias="tokenId")
    type: TokenType
    api_key: str | None = Field(None, alias="apiKey")
    oauth_token: str | None = Field(None, alias="oauthToken")


class TokenRevoke(ContractModel):
    """Exactly one of ``apiKey`` and ``oauthToken``."""

    api_key: str | None = Field(
        None,
        alias="apiKey",
        pattern=limits.API_KEY_PATTERN.pattern,
        max_length=limits.API_KEY_LENGTH,
    )
    oauth_token: str | None = Field(None, alias="oauthToken", min_length=1, max_length=255)

    @model_validator(mode="after")
    def _exactly_one(self) -> TokenRevoke:
        if (self.api_key is None) == (self.oauth_token is None):
            raise ValueError("Exactly one of fields apiKey and oauthToken is required")
        return self

    @property
    def secret(self) -> str:
        return self.api_key if self.api_key is not None else str(self.oauth_token)
