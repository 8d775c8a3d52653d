"""Tokens read through the in-process cache: other processes' revocations arrive within its TTL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dbskit.contract.operations import Scope
from dbskit.contract.sandbox_access import CampaignCreate, TokenCreate
from dbskit.market.domain import tokens
from dbskit.market.runtime import Runtime
from dbskit.market.services.access import AccessService
from dbskit.market.services.access_cache import AccessCache
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
        TokenCreate(businessId=campaign.business_id, scopes=[Scope.ALL_METHODS])
    )
    assert created.api_key is not None
    key_hash = tokens.fingerprint(created.api_key)
    grant = await here.grant(key_hash)
    assert grant is not None and grant.revoked_at is None
    assert await here.campaign_owner(campaign.campaign_id) == campaign.business_id

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
    assert await cache.campaign_owner(21_000_999) is None
    campaign = await service.create_campaign(CampaignCreate())
    assert await cache.campaign_owner(campaign.campaign_id) == campaign.business_id
