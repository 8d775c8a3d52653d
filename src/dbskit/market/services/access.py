"""Businesses, campaigns and tokens made through the sandbox (the seller cabinet's side).

Each call is one write transaction. The 30-key cap (R-076) is counted with the business row
locked, so concurrent requests cannot pass it together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dbskit.clock import Clock
from dbskit.contract import limits
from dbskit.contract.errors import BadRequest, Messages, NotFound
from dbskit.contract.operations import Scope
from dbskit.contract.sandbox_access import (
    CampaignCreate,
    CampaignCreated,
    TokenCreate,
    TokenCreated,
    TokenType,
)
from dbskit.database.db import Database, Transaction
from dbskit.market.domain import tokens
from dbskit.market.domain.access import CredentialKind
from dbskit.market.services.access_cache import AccessCache
from dbskit.market.storage import access as store

DEFAULT_BUSINESS_NAME = "Sandbox business"
DEFAULT_CAMPAIGN_NAME = "Sandbox store"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token_id: int
    kind: CredentialKind
    secret: str


def issue_token(
    conn: Transaction,
    *,
    clock: Clock,
    business_id: int,
    kind: CredentialKind,
    scopes: frozenset[Scope],
) -> IssuedToken:
    """Issue a token inside the caller's transaction (which must have locked the business)."""
    if kind is CredentialKind.API_KEY:
        live = store.count_live_tokens(conn, business_id, kind)
        if live >= limits.API_KEYS_PER_BUSINESS:
            raise BadRequest(
                Messages.TOO_MANY_API_KEYS.format(
                    business_id=business_id, limit=limits.API_KEYS_PER_BUSINESS
                )
            )
        secret = tokens.new_api_key()
        expires_at = None  # an Api-Key never expires
    else:
        secret = tokens.new_oauth_token()
        expires_at = clock.now() + limits.OAUTH_TOKEN_VALIDITY
    token_id = store.insert_token(
        conn,
        business_id=business_id,
        kind=kind,
        key_hash=tokens.fingerprint(secret),
        scopes=scopes,
        now=clock.now(),
        expires_at=expires_at,
    )
    return IssuedToken(token_id, kind, secret)


def add_campaign(conn: Transaction, request: CampaignCreate, *, now: datetime) -> CampaignCreated:
    """``create_campaign`` inside the caller's write transaction."""
    if request.business_id is None:
        business_id = store.insert_business(
            conn, name=request.name or DEFAULT_BUSINESS_NAME, now=now
        )
    elif store.lock_business(conn, request.business_id):
        business_id = request.business_id
    else:
        raise NotFound(Messages.BUSINESS_NOT_FOUND.format(business_id=request.business_id))
    campaign_id = store.insert_campaign(
        conn,
        business_id=business_id,
        name=request.name or DEFAULT_CAMPAIGN_NAME,
        push_url=request.push_url,
        push_auth_token=request.push_auth_token,
        push_auth_mode=request.push_auth_mode.value,
        notification_url=request.notification_url,
        now=now,
    )
    return CampaignCreated(business_id=business_id, campaign_id=campaign_id)


class AccessService:
    def __init__(self, *, db: Database, clock: Clock, cache: AccessCache) -> None:
        self._db = db
        self._clock = clock
        self._cache = cache

    async def create_campaign(self, request: CampaignCreate) -> CampaignCreated:
        """A DBS campaign in the given business, or in a new one when none is given."""
        return await self._db.run_write(
            lambda conn: add_campaign(conn, request, now=self._clock.now())
        )

    async def set_campaign_active(self, campaign_id: int, *, active: bool) -> None:
        """R-079 in the sandbox: open or close the API for the campaign's store."""
        found = await self._db.run_write(
            lambda conn: store.set_campaign_active(conn, campaign_id, active=active)
        )
        if not found:
            raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
        self._cache.forget_activity()

    async def create_token(self, request: TokenCreate) -> TokenCreated:
        kind = CredentialKind(request.type.value)

        def work(conn: Transaction) -> IssuedToken:
            if not store.lock_business(conn, request.business_id):
                raise NotFound(Messages.BUSINESS_NOT_FOUND.format(business_id=request.business_id))
            return issue_token(
                conn,
                clock=self._clock,
                business_id=request.business_id,
                kind=kind,
                scopes=frozenset(request.scopes or ()),
            )

        issued = await self._db.run_write(work)
        if issued.kind is CredentialKind.API_KEY:
            return TokenCreated(
                token_id=issued.token_id, type=TokenType.API_KEY, api_key=issued.secret
            )
        return TokenCreated(
            token_id=issued.token_id, type=TokenType.OAUTH, oauth_token=issued.secret
        )

    async def revoke_token(self, secret: str) -> None:
        """Revoke a token (idempotent: revoking a revoked token changes nothing)."""
        key_hash = tokens.fingerprint(secret)
        now = self._clock.now()

        def work(conn: Transaction) -> bool:
            if store.revoke_token_by_hash(conn, key_hash, now=now):
                return True
            return store.grant_by_hash(conn, key_hash) is not None  # revoked before

        if not await self._db.run_write(work):
            raise NotFound(Messages.TOKEN_NOT_FOUND)
        self._cache.forget_token(key_hash)
