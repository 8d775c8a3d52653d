"""SQL for businesses, campaigns and tokens, shared by the access and demo services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, true, update

from dbskit.contract.operations import Scope
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.market.domain.access import CampaignAccess, CredentialKind, Grant
from dbskit.storage.tables import api_tokens, businesses, campaigns


def insert_business(conn: Connection, *, name: str, now: datetime) -> int:
    result = conn.execute(
        insert(businesses).values(name=name, created_at=now).returning(businesses.c.id)
    )
    return int(result.scalar_one())


def lock_business(conn: Connection, business_id: int) -> bool:
    """Whether the business exists; on PostgreSQL its row stays locked to the transaction's end
    (SQLite writers already hold the database lock)."""
    query = select(businesses.c.id).where(businesses.c.id == business_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).first() is not None


def insert_campaign(
    conn: Connection,
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
        .returning(campaigns.c.id)
    )
    return int(result.scalar_one())


def count_live_tokens(conn: Connection, business_id: int, kind: CredentialKind) -> int:
    query = (
        select(func.count())
        .select_from(api_tokens)
        .where(
            api_tokens.c.business_id == business_id,
            api_tokens.c.kind == kind.value,
            api_tokens.c.revoked_at.is_(None),
        )
    )
    return int(conn.execute(query).scalar_one())


def insert_token(
    conn: Connection,
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
        .returning(api_tokens.c.id)
    )
    return int(result.scalar_one())


def grant_by_hash(conn: Connection, key_hash: str) -> Grant | None:
    row = conn.execute(select(api_tokens).where(api_tokens.c.key_hash == key_hash)).first()
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


def campaign_access(conn: Connection, campaign_id: int) -> CampaignAccess | None:
    row = conn.execute(
        select(campaigns.c.business_id, campaigns.c.active).where(campaigns.c.id == campaign_id)
    ).first()
    return None if row is None else CampaignAccess(int(row.business_id), bool(row.active))


def business_active(conn: Connection, business_id: int) -> bool:
    """R-079: a cabinet is active while one of its stores is."""
    found = conn.execute(
        select(campaigns.c.id)
        .where(campaigns.c.business_id == business_id, campaigns.c.active == true())
        .limit(1)
    ).first()
    return found is not None


def set_campaign_active(conn: Connection, campaign_id: int, *, active: bool) -> bool:
    """Switch a campaign on or off; False when there is no such campaign."""
    result = conn.execute(
        update(campaigns).where(campaigns.c.id == campaign_id).values(active=active)
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class CampaignPush:
    """Where and how the Market reaches a campaign's store (R-039)."""

    business_id: int
    url: str | None
    auth_token: str | None
    auth_mode: PushAuthMode
    active: bool  # an inactive store gets no orders


def campaign_push(conn: Connection, campaign_id: int) -> CampaignPush | None:
    c = campaigns.c
    row = conn.execute(
        select(c.business_id, c.push_url, c.push_auth_token, c.push_auth_mode, c.active).where(
            c.id == campaign_id
        )
    ).first()
    if row is None:
        return None
    return CampaignPush(
        int(row.business_id),
        row.push_url,
        row.push_auth_token,
        PushAuthMode(row.push_auth_mode),
        active=bool(row.active),
    )
