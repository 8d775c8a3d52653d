"""Tokens and campaign owners as the gateway reads them: from the database, then from memory.

Every Partner API call needs its token and, for campaign paths, the campaign's business. Both
are kept in process for a short time (``Settings.access_cache_seconds``), so a busy client costs
no database round trip per call. The real Market applies token edits within 10 minutes (R-076);
the cache is much shorter than that, and a revocation made through this process takes effect
here at once. Only found rows are cached: a token or campaign created a moment ago is never
reported missing from memory.

An entry in use is re-read in the background once it is half its age, so calls keep being
answered from memory and never wait for the database while the entry is renewed; an entry
nobody used for the whole period is read again before it is trusted. One read per key is in
flight at a time: requests that miss together wait for the same read.

Entries age on the monotonic clock: the cache measures how stale this process may be, which has
nothing to do with the sandbox clock sellers move.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from dbskit.database.db import Database, Transaction
from dbskit.market.domain.access import CampaignAccess, Grant
from dbskit.market.storage import access as store

K = TypeVar("K")
V = TypeVar("V")

MAX_ENTRIES = 10_000
RENEW_AT_AGE = 0.5  # of the period: in-use entries are re-read in the background from then on


class _TtlCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, *, now: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._now = now
        self._entries: dict[K, tuple[float, V]] = {}  # key -> (read at, value)

    def lookup(self, key: K) -> tuple[V | None, bool]:
        """The value while it may be trusted (else None), and whether to renew it now."""
        entry = self._entries.get(key)
        if entry is None:
            return None, False
        read_at, value = entry
        age = self._now() - read_at
        if age >= self._ttl:
            del self._entries[key]
            return None, False
        return value, age >= self._ttl * RENEW_AT_AGE

    def get(self, key: K) -> V | None:
        return self.lookup(key)[0]

    def put(self, key: K, value: V) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # bounded memory; refilled from the database on demand
        self._entries[key] = (self._now(), value)

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
        self._campaigns: _TtlCache[int, CampaignAccess] = _TtlCache(ttl_seconds, now=now)
        self._businesses: _TtlCache[int, bool] = _TtlCache(ttl_seconds, now=now)
        self._existing_businesses: _TtlCache[int, bool] = _TtlCache(ttl_seconds, now=now)
        self._loading: dict[tuple[str, object], asyncio.Future[Any]] = {}
        # Bumped by every invalidation, so a read that started before it cannot cache old data.
        self._generation = 0

    async def grant(self, key_hash: str) -> Grant | None:
        """The token with this fingerprint, live or revoked, or None when there is none."""
        grant = await self._cached(
            "grant", key_hash, self._grants, lambda conn: store.grant_by_hash(conn, key_hash)
        )
        if grant is None:
            return None
        # The lookup is by fingerprint, which tells a timing observer nothing about the token;
        # the final comparison is constant-time all the same.
        return grant if hmac.compare_digest(grant.key_hash, key_hash) else None

    async def campaign(self, campaign_id: int) -> CampaignAccess | None:
        """The campaign's business and whether it is active, or None when there is none."""
        return await self._cached(
            "campaign",
            campaign_id,
            self._campaigns,
            lambda conn: store.campaign_access(conn, campaign_id),
        )

    async def business_active(self, business_id: int) -> bool:
        """Whether the cabinet has an active store (R-079). Only the answer "active" is kept in
        memory, like a found row: a cabinet that gets a store again is open at once."""
        active = await self._cached(
            "business",
            business_id,
            self._businesses,
            lambda conn: True if store.business_active(conn, business_id) else None,
        )
        return bool(active)

    async def business_exists(self, business_id: int) -> bool:
        """Whether the cabinet exists; cabinets are never deleted, so "yes" is kept."""
        exists = await self._cached(
            "business_exists",
            business_id,
            self._existing_businesses,
            lambda conn: True if store.business_exists(conn, business_id) else None,
        )
        return bool(exists)

    async def _cached(
        self,
        kind: str,
        key: K,
        cache: _TtlCache[K, V],
        read: Callable[[Transaction], V | None],
    ) -> V | None:
        value, renew = cache.lookup(key)
        if value is not None:
            if renew:
                self._reading(kind, key, cache, read)  # in the background
            return value
        # Shielded: one caller giving up must not cancel the read the others wait for.
        result: V | None = await asyncio.shield(self._reading(kind, key, cache, read))
        return result

    def _reading(
        self,
        kind: str,
        key: K,
        cache: _TtlCache[K, V],
        read: Callable[[Transaction], V | None],
    ) -> asyncio.Future[Any]:
        """The read of this key in flight, started now if there is none."""
        slot = (kind, key)
        pending = self._loading.get(slot)
        if pending is None:
            pending = asyncio.ensure_future(self._read_into(cache, key, read))
            self._loading[slot] = pending
            pending.add_done_callback(lambda done: self._read_done(slot, done))
        return pending

    async def _read_into(
        self, cache: _TtlCache[K, V], key: K, read: Callable[[Transaction], V | None]
    ) -> V | None:
        generation = self._generation
        value = await self._db.run_read(read)
        if generation != self._generation:
            cache.discard(key)  # invalidated meanwhile: the next call reads again
        elif value is None:
            cache.discard(key)  # deleted since it was cached
        else:
            cache.put(key, value)
        return value

    def _read_done(self, slot: tuple[str, object], done: asyncio.Future[Any]) -> None:
        if self._loading.get(slot) is done:
            del self._loading[slot]
        if not done.cancelled():
            done.exception()  # retrieved: a background read that failed is retried on next use

    def forget_activity(self) -> None:
        """A campaign was switched on or off here: every campaign and cabinet is read again."""
        self._generation += 1
        self._campaigns.clear()
        self._businesses.clear()
        for slot in [slot for slot in self._loading if slot[0] in {"campaign", "business"}]:
            self._loading.pop(slot, None)

    def forget_token(self, key_hash: str) -> None:
        self._generation += 1
        self._grants.discard(key_hash)
        self._loading.pop(("grant", key_hash), None)
