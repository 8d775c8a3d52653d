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

from typing import Final, Protocol

from dbskit.extras import require_extra

Lease = str
"""Identifies one taken in-flight slot, to give it back."""

_MEMORY_LEASE: Final[Lease] = "memory"


class CountersUnavailable(Exception):
    """The shared counter store cannot be reached."""


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

    async def forget_windows(self, key_suffix: str | None = None) -> None:
        """Drop the window counters (``POST /sandbox/reset``): every one, or those whose budget
        key ends with ``key_suffix``. In-flight slots stay: they belong to calls still running."""
        ...

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

    async def forget_windows(self, key_suffix: str | None = None) -> None:
        if key_suffix is None:
            self._windows.clear()
            return
        for key in [key for key in self._windows if key.endswith(key_suffix)]:
            del self._windows[key]

    async def close(self) -> None:
        self._windows.clear()
        self._in_flight.clear()


def counter_storage(redis_url: str | None) -> CounterStorage:
    """Redis when a URL is configured (several instances), else this process's memory."""
    if redis_url:
        require_extra("redis", "--redis-url")
        from dbskit.market.limits.redis_counters import RedisCounters  # only when configured

        return RedisCounters(redis_url)
    return MemoryCounters()
