"""``GET /healthz``: the database (and the query log's, when apart) and Redis, each asked one
trivial command within ``CHECK_TIMEOUT``, concurrently.

Redis is asked on a connection of its own, opened and closed per check: the limit counters'
connection is left to the calls it serves, and a check never waits behind them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import Final

from dbskit.contract.health import DependencyState, Health
from dbskit.database.db import Database
from dbskit.market.storage.health import answer_one

log = logging.getLogger(__name__)

# Ours: long enough for a busy database, short enough for a load balancer's probe (they
# commonly wait 5 s or less).
CHECK_TIMEOUT: Final = timedelta(seconds=2)


async def check_health(*, db: Database, log_db: Database, redis_url: str | None) -> Health:
    databases = [db] if log_db is db else [db, log_db]
    database, redis = await asyncio.gather(
        _all_up([_state("database", base.run_read(answer_one)) for base in databases]),
        _redis_state(redis_url),
    )
    states = (database, redis)
    overall = DependencyState.DOWN if DependencyState.DOWN in states else DependencyState.UP
    return Health(status=overall, database=database, redis=redis)


async def _all_up(checks: list[Awaitable[DependencyState]]) -> DependencyState:
    states = await asyncio.gather(*checks)
    return DependencyState.DOWN if DependencyState.DOWN in states else DependencyState.UP


async def _redis_state(url: str | None) -> DependencyState:
    if not url:
        return DependencyState.NOT_CONFIGURED
    return await _state("redis", _ping_redis(url))


async def _ping_redis(url: str) -> None:
    # Only with --redis-url (the redis extra).
    from dbskit.market.limits.redis_counters import redis_client

    client = redis_client(url)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _state(name: str, check: Awaitable[object]) -> DependencyState:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT.total_seconds()):
            await check
    except Exception as exc:  # any failure is "down"; the log says why
        log.warning("health check: %s is down: %s", name, exc)
        return DependencyState.DOWN
    return DependencyState.UP
