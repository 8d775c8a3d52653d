"""Where the limit counters live: in this process, or in Redis shared by several instances.

Two kinds of counter:

- a **window counter** per (budget key, window number): counts a request unless the window is
  already full, atomically, so the request that would make it ``limit + 1`` is refused and not
  counted (OQ-15: 420 answers do not count);
- an **in-flight counter** per token (R-086): a slot is taken before the handler runs and given
  back after the answer. In Redis each slot is a sorted-set member whose score is its lease end,
  so slots held by an instance that died are reclaimed once their lease runs out.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, Final, ParamSpec, Protocol, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from dbskit.contract import limits

Lease = str
"""Identifies one taken in-flight slot, to give it back."""

_MEMORY_LEASE: Final[Lease] = "memory"

P = ParamSpec("P")
T = TypeVar("T")


class CountersUnavailable(Exception):
    """The shared counter store cannot be reached."""


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


class CounterStorage(Protocol):
    async def hit(self, key: str, window: int, *, limit: int, expiry: int) -> int | None:
        """Count one request in ``window`` unless ``limit`` are counted already.

        Returns the count including this request, or None when the window was full.
        ``expiry`` (seconds) bounds how long the counter must be kept.
        """
        ...

    async def count(self, key: str, window: int) -> int:
        """The requests counted in ``window`` so far."""
        ...

    async def acquire(self, key: str, *, limit: int) -> Lease | None:
        """Take an in-flight slot unless ``limit`` are taken; None when they are."""
        ...

    async def release(self, key: str, lease: Lease) -> None: ...

    async def close(self) -> None: ...


class MemoryCounters:
    """Counters of one process. Every method completes without awaiting, so on the event loop
    each read-and-update is atomic without a lock."""

    def __init__(self) -> None:
        # One slot per budget key: [window number, count]. A newer window replaces the old one
        # in place, so the dict grows with the number of budget keys, not with time.
        self._windows: dict[str, list[int]] = {}
        self._in_flight: dict[str, int] = {}

    async def hit(self, key: str, window: int, *, limit: int, expiry: int) -> int | None:
        slot = self._windows.get(key)
        if slot is None:
            slot = self._windows[key] = [window, 0]
        elif slot[0] != window:
            slot[0] = window
            slot[1] = 0
        if slot[1] >= limit:
            return None
        slot[1] += 1
        return slot[1]

    async def count(self, key: str, window: int) -> int:
        slot = self._windows.get(key)
        return slot[1] if slot is not None and slot[0] == window else 0

    async def acquire(self, key: str, *, limit: int) -> Lease | None:
        taken = self._in_flight.get(key, 0)
        if taken >= limit:
            return None
        self._in_flight[key] = taken + 1
        return _MEMORY_LEASE

    async def release(self, key: str, lease: Lease) -> None:
        taken = self._in_flight.get(key, 0) - 1
        if taken > 0:
            self._in_flight[key] = taken
        else:
            self._in_flight.pop(key, None)

    async def close(self) -> None:
        self._windows.clear()
        self._in_flight.clear()


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


class RedisCounters:
    """Counters in Redis, shared by every instance that names the same server and prefix.

    Each check is one Lua script (one round trip, atomic on the server), so two instances can
    never both admit the request that fills a window.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "dbskit:",
        lease_ms: int = int(limits.PARALLEL_SLOT_LEASE.total_seconds() * 1000),
    ) -> None:
        self._redis = aioredis.Redis.from_url(url)
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

    async def close(self) -> None:
        await self._redis.aclose()


def counter_storage(redis_url: str | None) -> CounterStorage:
    """Redis when a URL is configured (several instances), else this process's memory."""
    if redis_url:
        return RedisCounters(redis_url)
    return MemoryCounters()
