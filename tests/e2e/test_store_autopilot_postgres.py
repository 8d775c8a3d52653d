"""Two ``dbskit store serve`` processes on one PostgreSQL store database, each the notification
endpoint of its own campaign of one business, drawing keys of the same offers from one vault
while many digital orders come in at once. No key goes to two orders, none is lost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import _postgres_schema, postgres_url
from tests.e2e.store_harness import (
    EMAIL_DELAY_SECONDS,
    Loop,
    Store,
    make_keys,
    market,
    point_at,
    running_stores,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

ORDERS = 30  # per campaign
OFFERS = ("game-a", "game-b")
SPARE_KEYS = 3  # per offer, left in the vault at the end


@contextmanager
def _store_database() -> Iterator[str]:
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL not configured: set DBSKIT_TEST_POSTGRES_URL")
    yield from _postgres_schema(base)


@pytest.mark.rule("R-007", "R-008", "R-011", "OQ-02")
@pytest.mark.decision("The store's notifications and key vault")
def test_two_stores_on_one_postgresql_never_hand_a_key_twice(tmp_path: Path) -> None:
    with _store_database() as database_url, market(tmp_path) as emulator:
        first = emulator.campaign()
        second = emulator.campaign(business_id=first.business_id)
        key = emulator.api_key(first.business_id)
        stores = [
            Store(tmp_path / name, emulator.url, key, first.business_id, database_url=database_url)
            for name in ("store-1", "store-2")
        ]
        # Each order takes 1 or 2 keys of one offer, both offers in every campaign.
        plan = [
            (campaign, OFFERS[n % 2], 1 + n % 3 // 2)
            for campaign in (first, second)
            for n in range(ORDERS)
        ]
        needed: Counter[str] = Counter()
        for _, offer, count in plan:
            needed[offer] += count
        imported = [row for offer in OFFERS for row in make_keys(offer, needed[offer] + SPARE_KEYS)]
        stores[0].import_keys(imported, tmp_path)

        with running_stores(*stores):
            point_at(emulator, first, stores[0])
            point_at(emulator, second, stores[1])
            orders = [
                (campaign, int(emulator.digital_order(campaign.campaign_id, [(o, c)])["id"]), c)
                for campaign, o, c in plan
            ]
            for campaign, order_id, _ in orders:
                emulator.wait_for_keys(campaign.campaign_id, order_id)
            emulator.advance(EMAIL_DELAY_SECONDS)
            emailed: dict[int, list[str]] = {}
            for campaign, order_id, count in orders:
                emulator.wait_for_status(campaign.campaign_id, order_id, "DELIVERED")
                emailed[order_id] = emulator.emailed_keys(order_id)
                assert len(emailed[order_id]) == count, (order_id, emailed[order_id])

            every_key = [k for keys in emailed.values() for k in keys]
            total = sum(needed.values())
            export = Loop(emulator, second, stores[1], tmp_path).wait_for_export(total)

    duplicates = [k for k, n in Counter(every_key).items() if n > 1]
    assert duplicates == []
    assert len(every_key) == total
    assert set(every_key) <= {row.key for row in imported}
    assert Counter(export) == Counter(every_key)
