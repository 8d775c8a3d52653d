"""Limit counters in Redis, shared by every instance that names the same server (see storage)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, Final, ParamSpec, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from dbskit.contract import limits
from dbskit.market.limits.storage import CountersUnavailable, Lease

P = ParamSpec("P")
_SCAN_COUNT: Final = 1_000  # keys per SCAN step and per DEL of a reset
T = TypeVar("T")


def _unavailable_on_redis_error(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    @wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except RedisError as exc:
            raise CountersUnavailable(str(exc)) from exc

    return guarded


# KEYS[1] counter; ARGV[1] limit, ARGV[2] expiry in seconds. -1 when full (and nothing counted).
_HIT: Final = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return -1 end
count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return count
"""

# KEYS[1] sorted set of slots; ARGV[1] limit, ARGV[2] lease in ms, ARGV[3] slot id. Leases are
# measured on the Redis server's clock, the one clock every instance shares.
_ACQUIRE: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


def redis_client(url: str) -> aioredis.Redis:
    """A client that gives up at once: a connection within ``REDIS_CONNECT_TIMEOUT``, each
    answer within ``REDIS_ANSWER_TIMEOUT``, no retries of its own."""
    client: aioredis.Redis = aioredis.Redis.from_url(
        url,
        socket_connect_timeout=limits.REDIS_CONNECT_TIMEOUT.total_seconds(),
        socket_timeout=limits.REDIS_ANSWER_TIMEOUT.total_seconds(),
        retry=Retry(NoBackoff(), 0),
    )
    return client


class RedisCounters:
    """Counters in Redis, shared by every instance that names the same server and prefix.

    Each check is one Lua script (one round trip, atomic on the server), so two instances can
    never both admit the request that fills a window.

    A Redis that does not answer (stopped, overloaded, a network that drops packets) fails a
    command after ``REDIS_CONNECT_TIMEOUT`` to connect or ``REDIS_ANSWER_TIMEOUT`` for an answer,
    once, without retries: the call answers 503 instead of hanging, and the next call tries a
    fresh connection, so service returns with Redis.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "dbskit:",
        lease_ms: int = int(limits.PARALLEL_SLOT_LEASE.total_seconds() * 1000),
    ) -> None:
        self._redis = redis_client(url)
        self._prefix = prefix
        self._lease_ms = lease_ms
        self._hit = self._redis.register_script(_HIT)
        self._acquire = self._redis.register_script(_ACQUIRE)
        # Slot ids unique across instances without coordination.
        self._instance = secrets.token_hex(6)
        self._serial = itertools.count()

    def _window_key(self, key: str, window: int) -> str:
        return f"{self._prefix}window:{key}:{window}"

    def _slots_key(self, key: str) -> str:
        return f"{self._prefix}inflight:{key}"

    @_unavailable_on_redis_error
    async def hit(self, key: str, window: int, *, limit: int, expiry: int) -> int | None:
        count = int(await self._hit(keys=[self._window_key(key, window)], args=[limit, expiry]))
        return None if count < 0 else count

    @_unavailable_on_redis_error
    async def count(self, key: str, window: int) -> int:
        value = await self._redis.get(self._window_key(key, window))
        return int(value) if value is not None else 0

    @_unavailable_on_redis_error
    async def acquire(self, key: str, *, limit: int) -> Lease | None:
        lease = f"{self._instance}:{next(self._serial)}"
        keys = [self._slots_key(key)]
        taken = await self._acquire(keys=keys, args=[limit, self._lease_ms, lease])
        return lease if int(taken) == 1 else None

    @_unavailable_on_redis_error
    async def release(self, key: str, lease: Lease) -> None:
        await self._redis.zrem(self._slots_key(key), lease)

    @_unavailable_on_redis_error
    async def forget_windows(self, key_suffix: str | None = None) -> None:
        # Window keys end with their window number: ``<prefix>window:<budget key>:<window>``.
        pattern = f"{self._prefix}window:*{key_suffix or ''}:*"
        batch: list[bytes] = []
        async for key in self._redis.scan_iter(match=pattern, count=_SCAN_COUNT):
            batch.append(key)
            if len(batch) >= _SCAN_COUNT:
                await self._redis.delete(*batch)
                batch.clear()
        if batch:
            await self._redis.delete(*batch)

    async def close(self) -> None:
        await self._redis.aclose()
