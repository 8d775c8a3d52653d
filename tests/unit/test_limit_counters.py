"""Counter storage: the same behaviour in process memory and in Redis (R-083, R-086, OQ-15)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from dbskit.market.limits.redis_counters import RedisCounters
from dbskit.market.limits.storage import CounterStorage, CountersUnavailable, MemoryCounters


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def storage(request: pytest.FixtureRequest) -> AsyncIterator[CounterStorage]:
    if request.param == "memory":
        counters: CounterStorage = MemoryCounters()
    else:
        counters = RedisCounters(request.getfixturevalue("redis_url"))
    try:
        yield counters
    finally:
        await counters.close()


async def test_counts_up_to_the_limit_and_refuses_the_next(storage: CounterStorage) -> None:
    counts = [await storage.hit("k", 10, limit=3, expiry=60) for _ in range(5)]
    assert counts == [1, 2, 3, None, None]
    assert await storage.count("k", 10) == 3  # refusals are not counted


async def test_a_new_window_starts_from_zero(storage: CounterStorage) -> None:
    for _ in range(3):
        await storage.hit("k", 10, limit=3, expiry=60)
    assert await storage.hit("k", 11, limit=3, expiry=60) == 1
    assert await storage.count("k", 11) == 1


async def test_keys_are_independent(storage: CounterStorage) -> None:
    assert await storage.hit("a", 10, limit=1, expiry=60) == 1
    assert await storage.hit("a", 10, limit=1, expiry=60) is None
    assert await storage.hit("b", 10, limit=1, expiry=60) == 1
    assert await storage.count("c", 10) == 0


async def test_zero_limit_refuses_everything(storage: CounterStorage) -> None:
    assert await storage.hit("k", 10, limit=0, expiry=60) is None


async def test_in_flight_slots(storage: CounterStorage) -> None:
    first = await storage.acquire("token", limit=2)
    second = await storage.acquire("token", limit=2)
    assert first is not None and second is not None
    assert await storage.acquire("token", limit=2) is None
    assert await storage.acquire("other", limit=2) is not None  # per token
    await storage.release("token", first)
    third = await storage.acquire("token", limit=2)
    assert third is not None
    assert await storage.acquire("token", limit=2) is None
    # A higher limit (6 for some methods under the 2026 profile) admits more on the same count.
    assert await storage.acquire("token", limit=6) is not None


async def test_concurrent_hits_never_pass_the_limit(storage: CounterStorage) -> None:
    results = await asyncio.gather(*(storage.hit("k", 1, limit=25, expiry=60) for _ in range(60)))
    assert sorted(r for r in results if r is not None) == list(range(1, 26))
    assert results.count(None) == 35


@pytest.mark.redis
async def test_two_instances_share_one_budget(redis_url: str) -> None:
    first, second = RedisCounters(redis_url), RedisCounters(redis_url)
    try:
        counts = []
        for i in range(6):
            counts.append(await (first if i % 2 else second).hit("k", 1, limit=4, expiry=60))
        assert counts == [1, 2, 3, 4, None, None]
        assert await first.acquire("t", limit=1) is not None
        assert await second.acquire("t", limit=1) is None
    finally:
        await first.close()
        await second.close()


@pytest.mark.redis
async def test_a_slot_of_a_vanished_instance_is_reclaimed_after_its_lease(redis_url: str) -> None:
    # The lease runs on the Redis server's clock from the crashed instance's acquire: the
    # survivor's first try comes a round trip later, far inside it.
    lease = timedelta(seconds=2)
    crashed = RedisCounters(redis_url, lease_ms=int(lease / timedelta(milliseconds=1)))
    survivor = RedisCounters(redis_url)
    try:
        assert await crashed.acquire("t", limit=1) is not None  # never released
        assert await survivor.acquire("t", limit=1) is None
        await asyncio.sleep(lease.total_seconds() + 0.1)  # the same machine's clock
        assert await survivor.acquire("t", limit=1) is not None
    finally:
        await crashed.close()
        await survivor.close()


@pytest.mark.redis
async def test_window_counters_expire(redis_url: str) -> None:
    counters = RedisCounters(redis_url)
    try:
        await counters.hit("k", 1, limit=5, expiry=1)
        await asyncio.sleep(1.2)
        assert await counters.count("k", 1) == 0
    finally:
        await counters.close()


async def test_unreachable_redis_is_reported() -> None:
    from tests.e2e.server import free_port

    counters = RedisCounters(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(CountersUnavailable):
            await counters.hit("k", 1, limit=5, expiry=60)
        with pytest.raises(CountersUnavailable):
            await counters.acquire("t", limit=2)
    finally:
        await counters.close()
