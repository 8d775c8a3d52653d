"""Tokens and campaign owners as the gateway reads them: from the database, then from memory.

Every Partner API call needs its token and, for campaign paths, the campaign's business. Both
are kept in process for a short time (``Settings.access_cache_seconds``), so a busy client costs
no database round trip per call. The real Market applies token edits within 10 minutes (R-076);
the cache is much shorter than that, and a revocation made through this process takes effect
here at once. Only found rows are cached: a token or campaign created a moment ago is never
reported missing from memory.

Entries expire on the monotonic clock: the cache measures how stale this process may be, which
has nothing to do with the sandbox clock sellers move.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from dbskit.market.domain.access import Grant
from dbskit.market.services import _access_store as store
from dbskit.storage.db import Database

K = TypeVar("K")
V = TypeVar("V")

MAX_ENTRIES = 10_000


class _TtlCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, *, now: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._now = now
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._now() >= expires:
            self._entries.pop(key, None)
            return None
        return value

    def put(self, key: K, value: V) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # bounded memory; refilled from the database on demand
        self._entries[key] = (self._now() + self._ttl, value)

    def discard(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


class AccessCache:
    def __init__(
        self, *, db: Database, ttl_seconds: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._grants: _TtlCache[str, Grant] = _TtlCache(ttl_seconds, now=now)
        self._owners: _TtlCache[int, int] = _TtlCache(ttl_seconds, now=now)

    async def grant(self, key_hash: str) -> Grant | None:
        """The token with this fingerprint, live or revoked, or None when there is none."""
        grant = self._grants.get(key_hash)
        if grant is None:
            grant = await self._db.run_read(lambda conn: store.grant_by_hash(conn, key_hash))
            if grant is None:
                return None
            self._grants.put(key_hash, grant)
        # The lookup is by fingerprint, which tells a timing observer nothing about the token;
        # the final comparison is constant-time all the same.
        return grant if hmac.compare_digest(grant.key_hash, key_hash) else None

    async def campaign_owner(self, campaign_id: int) -> int | None:
        owner = self._owners.get(campaign_id)
        if owner is None:
            owner = await self._db.run_read(lambda conn: store.campaign_owner(conn, campaign_id))
            if owner is None:
                return None
            self._owners.put(campaign_id, owner)
        return owner

    def forget_token(self, key_hash: str) -> None:
        self._grants.discard(key_hash)

    def clear(self) -> None:
        self._grants.clear()
        self._owners.clear()
