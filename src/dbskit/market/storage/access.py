"""Businesses, campaigns and API tokens: who may call, and where the Market reaches a store.

The reads behind the access check (a token by its fingerprint, a campaign's business, whether a
cabinet is active) run whenever the gateway's cache misses, so their statements are built once.
The lists (campaigns, a business's tokens) are keyset pages, newest first by id; a token is
listed by its id, never by its secret or fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, true, update

from dbskit.contract.operations import Scope
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.database.db import Transaction
from dbskit.market.domain.access import CampaignAccess, CredentialKind, Grant
from dbskit.market.storage.tables import api_tokens, businesses, campaigns


@dataclass(frozen=True, slots=True)
class CampaignPush:
    """Where and how the Market reaches a campaign's store (R-039)."""

    business_id: int
    url: str | None
    auth_token: str | None
    auth_mode: PushAuthMode
    active: bool  # an inactive store gets no orders


_business = businesses.c
_campaign = campaigns.c
_token = api_tokens.c

# Built once: made per call with inline values, Core would compute a new cache key each time.
_GRANT = select(api_tokens).where(_token.key_hash == bindparam("key_hash"))
_CAMPAIGN_ACCESS = select(_campaign.business_id, _campaign.active).where(
    _campaign.id == bindparam("campaign_id")
)
_ACTIVE_CAMPAIGN_OF_BUSINESS = (
    select(_campaign.id)
    .where(_campaign.business_id == bindparam("business_id"), _campaign.active == true())
    .limit(1)
)
_CAMPAIGN_PUSH = select(
    _campaign.business_id,
    _campaign.push_url,
    _campaign.push_auth_token,
    _campaign.push_auth_mode,
    _campaign.active,
).where(_campaign.id == bindparam("campaign_id"))
_NOTIFICATION_URL = select(_campaign.notification_url).where(
    _campaign.id == bindparam("campaign_id")
)
_BUSINESS = select(_business.id).where(_business.id == bindparam("business_id"))
# PostgreSQL locks the row; SQLite writers already hold the database lock.
_BUSINESS_LOCKED = _BUSINESS.with_for_update()


def insert_business(conn: Transaction, *, name: str, now: datetime) -> int:
    result = conn.execute(
        insert(businesses).values(name=name, created_at=now).returning(_business.id)
    )
    return int(result.scalar_one())


def lock_business(conn: Transaction, business_id: int) -> bool:
    """Whether the business exists; on PostgreSQL its row stays locked to the transaction's end
    (SQLite writers already hold the database lock)."""
    query = _BUSINESS_LOCKED if conn.dialect.name == "postgresql" else _BUSINESS
    return conn.execute(query, {"business_id": business_id}).first() is not None


def insert_campaign(
    conn: Transaction,
    *,
    business_id: int,
    name: str,
    push_url: str | None,
    push_auth_token: str | None,
    push_auth_mode: str,
    notification_url: str | None,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(campaigns)
        .values(
            business_id=business_id,
            name=name,
            push_url=push_url,
            push_auth_token=push_auth_token,
            push_auth_mode=push_auth_mode,
            notification_url=notification_url,
            cart_enabled=True,
            created_at=now,
        )
        .returning(_campaign.id)
    )
    return int(result.scalar_one())


def set_campaign_active(conn: Transaction, campaign_id: int, *, active: bool) -> bool:
    """Switch a campaign on or off; False when there is no such campaign."""
    result = conn.execute(
        update(campaigns).where(_campaign.id == campaign_id).values(active=active)
    )
    return result.rowcount == 1


def set_campaign_push(
    conn: Transaction,
    campaign_id: int,
    *,
    push_url: str | None,
    push_auth_token: str | None,
    push_auth_mode: str,
) -> None:
    conn.execute(
        update(campaigns)
        .where(_campaign.id == campaign_id)
        .values(push_url=push_url, push_auth_token=push_auth_token, push_auth_mode=push_auth_mode)
    )


def campaign_access(conn: Transaction, campaign_id: int) -> CampaignAccess | None:
    row = conn.execute(_CAMPAIGN_ACCESS, {"campaign_id": campaign_id}).first()
    return None if row is None else CampaignAccess(int(row.business_id), bool(row.active))


_CAMPAIGNS_OF_BUSINESS = (
    select(_campaign.id)
    .where(_campaign.business_id == bindparam("business_id"))
    .order_by(_campaign.id)
)


def campaign_ids_of_business(conn: Transaction, business_id: int) -> list[int]:
    """Every campaign of the business, active or not."""
    return [row[0] for row in conn.execute(_CAMPAIGNS_OF_BUSINESS, {"business_id": business_id})]


def business_exists(conn: Transaction, business_id: int) -> bool:
    return conn.execute(_BUSINESS, {"business_id": business_id}).first() is not None


def business_active(conn: Transaction, business_id: int) -> bool:
    """R-079: a cabinet is active while one of its stores is."""
    found = conn.execute(_ACTIVE_CAMPAIGN_OF_BUSINESS, {"business_id": business_id}).first()
    return found is not None


def campaign_push(conn: Transaction, campaign_id: int) -> CampaignPush | None:
    row = conn.execute(_CAMPAIGN_PUSH, {"campaign_id": campaign_id}).first()
    if row is None:
        return None
    return CampaignPush(
        int(row.business_id),
        row.push_url,
        row.push_auth_token,
        PushAuthMode(row.push_auth_mode),
        active=bool(row.active),
    )


def campaign_notification_url(conn: Transaction, campaign_id: int) -> str | None:
    """Where the campaign's API notifications go; None when it has no URL."""
    url = conn.execute(_NOTIFICATION_URL, {"campaign_id": campaign_id}).scalar()
    return str(url) if url else None


def count_live_tokens(conn: Transaction, business_id: int, kind: CredentialKind) -> int:
    query = (
        select(func.count())
        .select_from(api_tokens)
        .where(
            _token.business_id == business_id,
            _token.kind == kind.value,
            _token.revoked_at.is_(None),
        )
    )
    return int(conn.execute(query).scalar_one())


def insert_token(
    conn: Transaction,
    *,
    business_id: int,
    kind: CredentialKind,
    key_hash: str,
    scopes: Iterable[Scope],
    now: datetime,
    expires_at: datetime | None,
) -> int:
    result = conn.execute(
        insert(api_tokens)
        .values(
            business_id=business_id,
            kind=kind.value,
            key_hash=key_hash,
            scopes=sorted(scope.value for scope in scopes),
            created_at=now,
            expires_at=expires_at,
        )
        .returning(_token.id)
    )
    return int(result.scalar_one())


def grant_by_hash(conn: Transaction, key_hash: str) -> Grant | None:
    """The token with this fingerprint, live or revoked."""
    row = conn.execute(_GRANT, {"key_hash": key_hash}).first()
    if row is None:
        return None
    return Grant(
        token_id=row.id,
        business_id=row.business_id,
        kind=CredentialKind(row.kind),
        scopes=frozenset(Scope(scope) for scope in row.scopes),
        key_hash=row.key_hash,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def revoke_token_by_hash(conn: Transaction, key_hash: str, *, now: datetime) -> bool:
    """Revoke the live token with this fingerprint; False when none is live (a revoked token
    keeps its first revocation time)."""
    result = conn.execute(
        update(api_tokens)
        .where(_token.key_hash == key_hash, _token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


def revoke_token(conn: Transaction, token_id: int, *, now: datetime) -> None:
    """Revoke the token unless it is revoked already."""
    conn.execute(
        update(api_tokens)
        .where(_token.id == token_id, _token.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# --- the lists a seller looks at ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListedCampaign:
    """A campaign as a list shows it: the push token is left out (it is the store's secret)."""

    campaign_id: int
    business_id: int
    name: str
    active: bool
    push_url: str | None
    push_token_set: bool
    notification_url: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ListedToken:
    """A token as a list shows it: its id, never the token or its fingerprint."""

    token_id: int
    business_id: int
    kind: CredentialKind
    scopes: tuple[Scope, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


_CAMPAIGN_LIST = select(
    _campaign.id,
    _campaign.business_id,
    _campaign.name,
    _campaign.active,
    _campaign.push_url,
    _campaign.push_auth_token.is_not(None).label("push_token_set"),
    _campaign.notification_url,
    _campaign.created_at,
).order_by(_campaign.id.desc())
_TOKEN_LIST = (
    select(
        _token.id,
        _token.business_id,
        _token.kind,
        _token.scopes,
        _token.created_at,
        _token.expires_at,
        _token.revoked_at,
    )
    .where(_token.business_id == bindparam("business_id"))
    .order_by(_token.id.desc())
)
_TOKEN_HASH = select(_token.key_hash).where(_token.id == bindparam("token_id"))


def campaign_list(
    conn: Transaction, *, business_id: int | None = None, before: int | None = None, limit: int
) -> list[ListedCampaign]:
    """Up to ``limit`` campaigns, newest first (by id), of one business or of all; only those
    with an id below ``before``."""
    query = _CAMPAIGN_LIST
    if business_id is not None:
        query = query.where(_campaign.business_id == business_id)
    if before is not None:
        query = query.where(_campaign.id < before)
    return [
        ListedCampaign(
            campaign_id=row.id,
            business_id=row.business_id,
            name=row.name,
            active=bool(row.active),
            push_url=row.push_url,
            push_token_set=bool(row.push_token_set),
            notification_url=row.notification_url,
            created_at=row.created_at,
        )
        for row in conn.execute(query.limit(limit))
    ]


def token_list(
    conn: Transaction, business_id: int, *, before: int | None = None, limit: int
) -> list[ListedToken]:
    """Up to ``limit`` of the business's tokens, live and revoked, newest first (by id); only
    those with an id below ``before``."""
    query = _TOKEN_LIST if before is None else _TOKEN_LIST.where(_token.id < before)
    return [
        ListedToken(
            token_id=row.id,
            business_id=row.business_id,
            kind=CredentialKind(row.kind),
            scopes=tuple(Scope(scope) for scope in row.scopes),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )
        for row in conn.execute(query.limit(limit), {"business_id": business_id})
    ]


def token_fingerprint(conn: Transaction, token_id: int) -> str | None:
    """The stored fingerprint of a token, to forget it from the access cache once revoked."""
    found = conn.execute(_TOKEN_HASH, {"token_id": token_id}).scalar()
    return None if found is None else str(found)
