"""Tokens read through the in-process cache: other processes' revocations arrive within its TTL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection

from dbskit.contract.operations import Scope
from dbskit.contract.sandbox_access import CampaignCreate, TokenCreate
from dbskit.market.domain import tokens
from dbskit.market.domain.access import CampaignAccess, Grant
from dbskit.market.runtime import Runtime
from dbskit.market.services.access import AccessService
from dbskit.market.services.access_cache import AccessCache
from dbskit.market.storage import access as access_store
from dbskit.settings import Settings


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    built = Runtime.build(settings)
    built.prepare()
    yield built
    built.db.dispose()


async def test_a_revocation_in_another_process_arrives_within_the_ttl(runtime: Runtime) -> None:
    moment = [0.0]
    here = AccessCache(db=runtime.db, ttl_seconds=5.0, now=lambda: moment[0])
    elsewhere = AccessService(db=runtime.db, clock=runtime.clock, cache=runtime.access_cache)
    campaign = await elsewhere.create_campaign(CampaignCreate())
    created = await elsewhere.create_token(
        TokenCreate(business_id=campaign.business_id, scopes=[Scope.ALL_METHODS])
    )
    assert created.api_key is not None
    key_hash = tokens.fingerprint(created.api_key)
    grant = await here.grant(key_hash)
    assert grant is not None and grant.revoked_at is None
    assert await here.campaign(campaign.campaign_id) == CampaignAccess(campaign.business_id, True)

    await elsewhere.revoke_token(created.api_key)
    moment[0] = 4.9
    cached = await here.grant(key_hash)
    assert cached is not None and cached.revoked_at is None  # still within the TTL
    moment[0] = 5.0
    fresh = await here.grant(key_hash)
    assert fresh is not None and fresh.revoked_at is not None


async def test_missing_rows_are_not_cached(runtime: Runtime) -> None:
    cache = AccessCache(db=runtime.db, ttl_seconds=60.0)
    service = AccessService(db=runtime.db, clock=runtime.clock, cache=cache)
    assert await cache.campaign(21_000_999) is None
    campaign = await service.create_campaign(CampaignCreate())
    assert await cache.campaign(campaign.campaign_id) == CampaignAccess(campaign.business_id, True)


@pytest.mark.rule("R-079")
async def test_a_switch_made_here_is_seen_at_once(runtime: Runtime) -> None:
    cache = AccessCache(db=runtime.db, ttl_seconds=60.0)
    service = AccessService(db=runtime.db, clock=runtime.clock, cache=cache)
    campaign = await service.create_campaign(CampaignCreate())
    assert await cache.business_active(campaign.business_id)
    await service.set_campaign_active(campaign.campaign_id, active=False)
    assert await cache.campaign(campaign.campaign_id) == CampaignAccess(campaign.business_id, False)
    assert not await cache.business_active(campaign.business_id)
    await service.create_campaign(CampaignCreate(businessId=campaign.business_id))
    assert await cache.business_active(campaign.business_id)  # "inactive" is never kept


async def test_requests_that_miss_together_share_one_read(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = AccessService(db=runtime.db, clock=runtime.clock, cache=runtime.access_cache)
    campaign = await service.create_campaign(CampaignCreate())
    created = await service.create_token(
        TokenCreate(business_id=campaign.business_id, scopes=[Scope.PRICING])
    )
    assert created.api_key is not None
    reads: list[str] = []
    real = access_store.grant_by_hash

    def counted(conn: Connection, key_hash: str) -> Grant | None:
        reads.append(key_hash)
        return real(conn, key_hash)

    monkeypatch.setattr(access_store, "grant_by_hash", counted)
    cache = AccessCache(db=runtime.db, ttl_seconds=5.0)
    key_hash = tokens.fingerprint(created.api_key)
    grants = await asyncio.gather(*(cache.grant(key_hash) for _ in range(20)))
    assert reads == [key_hash]
    assert {grant.token_id for grant in grants if grant is not None} == {created.token_id}
    await cache.grant(key_hash)
    assert len(reads) == 1  # cached now


async def test_a_revocation_here_is_not_undone_by_a_read_in_flight(runtime: Runtime) -> None:
    cache = AccessCache(db=runtime.db, ttl_seconds=60.0)
    service = AccessService(db=runtime.db, clock=runtime.clock, cache=cache)
    campaign = await service.create_campaign(CampaignCreate())
    created = await service.create_token(
        TokenCreate(business_id=campaign.business_id, scopes=[Scope.PRICING])
    )
    assert created.api_key is not None
    key_hash = tokens.fingerprint(created.api_key)
    in_flight = asyncio.ensure_future(cache.grant(key_hash))
    await asyncio.sleep(0)  # the read has started
    await service.revoke_token(created.api_key)
    await in_flight
    grant = await cache.grant(key_hash)
    assert grant is not None and grant.revoked_at is not None


async def test_an_entry_in_use_is_renewed_in_the_background(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = AccessService(db=runtime.db, clock=runtime.clock, cache=runtime.access_cache)
    campaign = await service.create_campaign(CampaignCreate())
    created = await service.create_token(
        TokenCreate(business_id=campaign.business_id, scopes=[Scope.PRICING])
    )
    assert created.api_key is not None
    key_hash = tokens.fingerprint(created.api_key)
    moment = [0.0]
    cache = AccessCache(db=runtime.db, ttl_seconds=10.0, now=lambda: moment[0])
    assert await cache.grant(key_hash) is not None

    release = threading.Event()
    reads: list[str] = []
    real = access_store.grant_by_hash

    def slow(conn: Connection, wanted: str) -> Grant | None:
        reads.append(wanted)
        release.wait(timeout=10)
        return real(conn, wanted)

    monkeypatch.setattr(access_store, "grant_by_hash", slow)
    moment[0] = 4.9
    assert await cache.grant(key_hash) is not None
    assert reads == []  # young enough: no read
    moment[0] = 6.0
    # Past half its age: answered from memory at once while the database read is held up.
    grant = await asyncio.wait_for(cache.grant(key_hash), timeout=1)
    assert grant is not None and grant.revoked_at is None
    for _ in range(100):
        if reads:
            break
        await asyncio.sleep(0.01)
    assert reads == [key_hash]  # the renewal started in the background
    await service.revoke_token(created.api_key)  # through another cache: this one still trusts
    release.set()
    for _ in range(100):
        await asyncio.sleep(0.01)
        renewed = cache._grants.get(key_hash)
        if renewed is not None and renewed.revoked_at is not None:
            break
    moment[0] = 15.0  # within the renewed entry's period
    final = await cache.grant(key_hash)
    assert final is not None and final.revoked_at is not None
    assert len(reads) == 1
