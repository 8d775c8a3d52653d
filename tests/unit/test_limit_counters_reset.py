"""A reset drops window counters, all or one campaign's, the same in memory and in Redis
(docs/decisions.md "Resetting the sandbox")."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from dbskit.market.domain.rate_limits import campaign_counter_suffix
from dbskit.market.limits.redis_counters import RedisCounters
from dbskit.market.limits.storage import CounterStorage, MemoryCounters

WINDOW = 10
KEYS = ("getOrder:campaign:21000001", "getOrders:campaign:21000001", "getOrder:campaign:210000011")
BUSINESS_KEY = "getDeliveryServices:business:10000001"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def storage(request: pytest.FixtureRequest) -> AsyncIterator[CounterStorage]:
    if request.param == "memory":
        counters: CounterStorage = MemoryCounters()
    else:
        counters = RedisCounters(request.getfixturevalue("redis_url"))
    try:
        for key in (*KEYS, BUSINESS_KEY):
            await counters.hit(key, WINDOW, limit=5, expiry=60)
        yield counters
    finally:
        await counters.close()


async def counts(storage: CounterStorage) -> list[int]:
    return [await storage.count(key, WINDOW) for key in (*KEYS, BUSINESS_KEY)]


async def test_a_campaigns_counters_go_and_no_others(storage: CounterStorage) -> None:
    await storage.forget_windows(campaign_counter_suffix(21000001))
    assert await counts(storage) == [0, 0, 1, 1]  # 210000011 is another campaign


async def test_every_counter_goes(storage: CounterStorage) -> None:
    lease = await storage.acquire("token-1", limit=1)
    await storage.forget_windows()
    assert await counts(storage) == [0] * 4
    assert await storage.acquire("token-1", limit=1) is None  # a running call keeps its slot
    assert lease is not None
    await storage.release("token-1", lease)
