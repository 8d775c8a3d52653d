"""Businesses, campaigns and tokens made through the sandbox (the seller cabinet's side).

Each call is one write transaction. The 30-key cap (R-076) is counted with the business row
locked, so concurrent requests cannot pass it together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

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
# A page of campaigns or of a business's tokens: the default and the most one may ask for (ours:
# what a browser shows at once; a business holds at most 30 live Api-Keys, R-076).
LIST_PAGE: Final = 50
LIST_PAGE_MAX: Final = 200
_ID_MAX: Final = 2**63 - 1  # the largest id a 64-bit column holds


class InvalidListCursor(ValueError):
    """A list cursor this server did not give."""


@dataclass(frozen=True, slots=True)
class CampaignPage:
    """Campaigns newest first; ``next_cursor`` None on the last page."""

    campaigns: list[store.ListedCampaign]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class TokenPage:
    """A business's tokens, live and revoked, newest first; ``next_cursor`` None on the last."""

    business_id: int
    tokens: list[store.ListedToken]
    next_cursor: str | None


def _before(cursor: str | None) -> int | None:
    """The id a page of an id-ordered list starts below. The cursor is that id in decimal:
    every id from 1 is a position, so only a cursor of another form is refused."""
    if cursor is None:
        return None
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > len(str(_ID_MAX)):
        raise InvalidListCursor(cursor)
    before = int(cursor)
    if not 1 <= before <= _ID_MAX or str(before) != cursor:
        raise InvalidListCursor(cursor)
    return before


def _page_size(limit: int) -> int:
    return max(1, min(LIST_PAGE_MAX, limit))


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

    async def list_campaigns(
        self, *, business_id: int | None = None, limit: int = LIST_PAGE, cursor: str | None = None
    ) -> CampaignPage:
        """A page of campaigns, newest first, of one business or of all. ``limit`` is clamped to
        1..``LIST_PAGE_MAX``; a ``cursor`` this server did not give raises ``InvalidListCursor``."""
        limit, before = _page_size(limit), _before(cursor)
        # One campaign more than the page tells whether another page follows.
        found = await self._db.run_read(
            lambda conn: store.campaign_list(
                conn, business_id=business_id, before=before, limit=limit + 1
            )
        )
        page = found[:limit]
        more = len(found) > limit
        return CampaignPage(page, str(page[-1].campaign_id) if more else None)

    async def list_tokens(
        self, business_id: int, *, limit: int = LIST_PAGE, cursor: str | None = None
    ) -> TokenPage:
        """A page of the business's Api-Keys and OAuth tokens, newest first, each by its id,
        scopes and times (never the token). 404 for an unknown business."""
        limit, before = _page_size(limit), _before(cursor)

        def work(conn: Transaction) -> list[store.ListedToken] | None:
            if not store.business_exists(conn, business_id):
                return None
            return store.token_list(conn, business_id, before=before, limit=limit + 1)

        found = await self._db.run_read(work)
        if found is None:
            raise NotFound(Messages.BUSINESS_NOT_FOUND.format(business_id=business_id))
        page = found[:limit]
        more = len(found) > limit
        return TokenPage(business_id, page, str(page[-1].token_id) if more else None)

    async def revoke_token_by_id(self, token_id: int) -> None:
        """Revoke a token by its id, as listed (idempotent, like ``revoke_token``)."""
        now = self._clock.now()

        def work(conn: Transaction) -> str | None:
            key_hash = store.token_fingerprint(conn, token_id)
            if key_hash is not None:
                store.revoke_token(conn, token_id, now=now)
            return key_hash

        key_hash = await self._db.run_write(work)
        if key_hash is None:
            raise NotFound(Messages.TOKEN_NOT_FOUND)
        self._cache.forget_token(key_hash)
