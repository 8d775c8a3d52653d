"""Who is calling and what they may touch: credentials, scopes, campaign access.

Pure decisions over plain values (R-073..R-078, OQ-10, OQ-11, OQ-13, C-24). Each failure is the
contract error carrying the documented status, code and message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dbskit.contract import limits
from dbskit.contract.errors import Forbidden, Messages, NotFound, Unauthorized
from dbskit.contract.operations import Operation, Scope


class CredentialKind(StrEnum):
    API_KEY = "API_KEY"
    OAUTH = "OAUTH"


@dataclass(frozen=True, slots=True)
class Credential:
    kind: CredentialKind
    secret: str


@dataclass(frozen=True, slots=True)
class Grant:
    """A stored token as the access check needs it."""

    token_id: int
    business_id: int
    kind: CredentialKind
    scopes: frozenset[Scope]
    key_hash: str
    expires_at: datetime | None
    revoked_at: datetime | None


_BEARER = "bearer"


def read_credential(api_key: str | None, authorization: str | None) -> Credential:
    """The credential a request carries; ``Api-Key`` wins when both headers are sent (OQ-10).

    A header sent empty counts as absent, except an empty ``Authorization``, which the Market
    reports as ``OAuth credentials are not specified``.
    """
    if api_key:
        return Credential(CredentialKind.API_KEY, _checked_api_key(api_key))
    if authorization is not None:
        return Credential(CredentialKind.OAUTH, _bearer_token(authorization))
    raise Unauthorized(Messages.CREDENTIALS_NOT_SPECIFIED)


def _checked_api_key(value: str) -> str:
    """OQ-11: prefix first (a ``Bearer `` in front is a wrong prefix), then length, then shape."""
    if not value.startswith(limits.API_KEY_PREFIX):
        raise Unauthorized(Messages.API_KEY_PREFIX)
    if len(value) != limits.API_KEY_LENGTH:
        raise Unauthorized(Messages.API_KEY_LENGTH)
    if limits.API_KEY_PATTERN.fullmatch(value) is None:
        raise Unauthorized(Messages.API_KEY_FORMAT)
    return value


def _bearer_token(value: str) -> str:
    value = value.strip()
    if not value:
        raise Unauthorized(Messages.OAUTH_CREDENTIALS_NOT_SPECIFIED)
    scheme, _, token = value.partition(" ")
    if not token.strip():
        if scheme.lower() == _BEARER:
            raise Unauthorized(Messages.OAUTH_TOKEN_NOT_SPECIFIED)
        raise Unauthorized(Messages.AUTHORIZATION_SYNTAX)
    if scheme.lower() != _BEARER:
        raise Unauthorized(Messages.AUTHORIZATION_TYPE)
    # ``Bearer``, one space, the token: a second space or a tab belongs to neither.
    if any(character.isspace() for character in token):
        raise Unauthorized(Messages.AUTHORIZATION_SYNTAX)
    return token


def check_grant(credential: Credential, grant: Grant | None, now: datetime) -> Grant:
    """The token behind a well-formed credential must exist, be live and be of its kind.

    An unknown, revoked or expired OAuth token is 403 ``OAuth token is invalid`` (C-24); an Api-Key
    is 401 ``invalid`` or ``revoked`` (R-073).
    """
    if credential.kind is CredentialKind.OAUTH:
        if (
            grant is None
            or grant.kind is not CredentialKind.OAUTH
            or grant.revoked_at is not None
            or (grant.expires_at is not None and now >= grant.expires_at)
        ):
            raise Forbidden(Messages.OAUTH_TOKEN_INVALID)
        return grant
    if grant is None or grant.kind is not CredentialKind.API_KEY:
        raise Unauthorized(Messages.API_KEY_INVALID)
    if grant.revoked_at is not None:
        raise Unauthorized(Messages.API_KEY_REVOKED)
    return grant


def check_scopes(grant: Grant, operation: Operation) -> None:
    """R-077: an Api-Key needs one of the method's scopes; OAuth cannot be limited (R-076)."""
    if grant.kind is CredentialKind.OAUTH:
        return
    if grant.scopes.isdisjoint(operation.scopes):
        raise Forbidden(Messages.NO_SCOPE)


@dataclass(frozen=True, slots=True)
class CampaignAccess:
    """What the access check needs of a campaign."""

    business_id: int
    active: bool


def check_campaign(grant: Grant, campaign_id: int, campaign: CampaignAccess | None) -> None:
    """R-078, OQ-13: unknown campaign 404; a campaign of another cabinet 403; R-079: an inactive
    campaign 403."""
    if campaign is None:
        raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
    if campaign.business_id != grant.business_id:
        raise Forbidden(Messages.ACCESS_DENIED)
    if not campaign.active:
        raise Forbidden(Messages.CAMPAIGN_NOT_ACTIVE.format(campaign_id=campaign_id))


def check_business(grant: Grant, active: bool) -> None:
    """R-079: a cabinet with no active store has the API closed (calls without a campaign)."""
    if not active:
        raise Forbidden(Messages.BUSINESS_NOT_ACTIVE.format(business_id=grant.business_id))


def check_business_path(grant: Grant, business_id: int, *, exists: bool) -> None:
    """A path's ``businessId`` (getBusinessOrders), as R-078 judges a campaign: unknown 404,
    another cabinet's 403."""
    if not exists:
        raise NotFound(Messages.BUSINESS_NOT_FOUND.format(business_id=business_id))
    if business_id != grant.business_id:
        raise Forbidden(Messages.ACCESS_DENIED)


@dataclass(frozen=True, slots=True)
class PartnerCall:
    """A Partner API call that passed authentication, scopes and campaign access.

    Later steps read it from the scope's state; handlers get it in ``PartnerRequest``.
    ``campaign_id`` is None for paths without a campaign (``GET v2/delivery/services``).
    """

    operation: Operation
    business_id: int
    campaign_id: int | None
    token_id: int
    credential: CredentialKind
    scopes: frozenset[Scope]
    path_params: dict[str, str]
