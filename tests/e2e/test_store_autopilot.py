"""Digital orders that fulfil themselves, over real HTTP: the emulator and ``dbskit store serve``
as processes on loopback, keys imported with ``dbskit store keys import``, the campaign pointed at
the store, a buyer's order, and then nothing from the seller: ORDER_CREATED reaches the store,
the store sends keys from its vault, the buyer's e-mail is in the outbox, the order is DELIVERED.

Then the same under failure: the store killed with SIGKILL in the middle of its work and started
again, and the Market answering 420s. What must hold each time: one set of keys per order, no key
twice, none lost (the keys left over still deliver a later order, and the export lists exactly
what the e-mails carry).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.store_harness import (
    DEMO_DIGITAL_OFFER,
    HANG_SECONDS,
    Loop,
    connect,
    eventually,
    make_keys,
    market,
    point_at,
    running_stores,
)

pytestmark = [pytest.mark.e2e]

# The store's job lease (--store-job-lease-seconds), short so that a killed store's job is taken
# again soon after restart.
LEASE_SECONDS = 2.0
SHORT_LEASE = {"DBSKIT_STORE_JOB_LEASE_SECONDS": str(LEASE_SECONDS)}
# Long enough that the store is certainly inside the call when it is killed.
HOLD_MS = 4_000


@pytest.mark.rule("R-004", "R-005", "R-007", "R-009", "R-011", "R-113", "OQ-02")
@pytest.mark.decision("The store's notifications and key vault")
@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_a_checkout_of_a_digital_offer_fulfils_itself(tmp_path: Path) -> None:
    with market(tmp_path) as emulator:
        campaign, store = connect(emulator, tmp_path / "store")
        imported = make_keys(DEMO_DIGITAL_OFFER, 5)
        store.import_keys(imported, tmp_path)
        with running_stores(store):
            point_at(emulator, campaign, store)
            loop = Loop(emulator, campaign, store, tmp_path)

            order = emulator.checkout(campaign.campaign_id, [(DEMO_DIGITAL_OFFER, 2)])
            order_id, item_id = int(order["id"]), int(order["items"][0]["id"])
            sent = loop.wait_for_keys(order_id)
            loop.wait_for_delivered(order_id)
            exported = loop.wait_for_export(2)

            assert list(sent) == [item_id]
            assert len(sent[item_id]) == 2
            assert set(sent[item_id]) <= {row.key for row in imported}
            assert sorted(emulator.emailed_keys(order_id)) == sorted(sent[item_id])
            assert sorted(exported) == sorted(sent[item_id])
            assert emulator.status(campaign.campaign_id, order_id) == (
                "DELIVERED",
                "DELIVERY_SERVICE_DELIVERED",
            )
            view = emulator.order_view(campaign.campaign_id, order_id)
            assert view["lateness"]["late"] is False
            assert store.stock() == {DEMO_DIGITAL_OFFER: (3, 0, 2)}


def _fulfil_the_rest(loop: Loop, left: int) -> list[str]:
    """A second order for every key left in the vault: delivered only if none was lost."""
    campaign = loop.campaign.campaign_id
    order = loop.market.digital_order(campaign, [(DEMO_DIGITAL_OFFER, left)])
    loop.wait_for_delivered(int(order["id"]))
    return loop.market.emailed_keys(int(order["id"]))


@pytest.mark.rule("R-009", "R-011", "OQ-01")
@pytest.mark.decision("The autopilot acts on the order")
@pytest.mark.parametrize(
    "held_call",
    [
        pytest.param("getBusinessOrders", id="killed-reading-the-order"),
        pytest.param("provideOrderDigitalCodes", id="killed-sending-the-keys"),
    ],
)
def test_a_store_killed_mid_delivery_delivers_one_set_of_keys_after_restart(
    tmp_path: Path, held_call: str
) -> None:
    imported = make_keys(DEMO_DIGITAL_OFFER, 5)
    with market(tmp_path) as emulator:
        campaign, store = connect(emulator, tmp_path / "store", env=SHORT_LEASE)
        store.import_keys(imported, tmp_path)
        with running_stores(store):
            point_at(emulator, campaign, store)
            loop = Loop(emulator, campaign, store, tmp_path)
            # The Market holds the store's call long enough to kill the store inside it.
            rule = emulator.add_fault(
                operationId=held_call, fault="LATENCY", latencyMs=HOLD_MS, next=1
            )
            order = emulator.digital_order(campaign.campaign_id, [(DEMO_DIGITAL_OFFER, 2)])
            order_id = int(order["id"])
            eventually(
                lambda: any(r["id"] == rule["id"] and r["calls"] == 1 for r in emulator.faults()),
                what=f"the store's {held_call} call",
            )
            store.kill()
            store.start()

            # The killed store's job is taken again once its lease has run out.
            loop.wait_for_delivered(order_id, timeout=HANG_SECONDS + LEASE_SECONDS)
            first = emulator.emailed_keys(order_id)
            rest = _fulfil_the_rest(loop, 3)
            exported = loop.wait_for_export(5)
            stock = store.stock()

    assert len(first) == 2
    assert Counter(first + rest) == Counter(row.key for row in imported)
    assert sorted(exported) == sorted(first + rest)
    assert stock == {DEMO_DIGITAL_OFFER: (0, 0, 5)}


@pytest.mark.rule("R-082", "R-085", "R-086", "R-011")
@pytest.mark.decision("The autopilot acts on the order")
@pytest.mark.decision("Fault injection")
def test_420s_from_the_market_delay_the_keys_but_never_double_them(tmp_path: Path) -> None:
    imported = make_keys(DEMO_DIGITAL_OFFER, 4)
    with market(tmp_path) as emulator:
        campaign, store = connect(emulator, tmp_path / "store")
        store.import_keys(imported, tmp_path)
        with running_stores(store):
            point_at(emulator, campaign, store)
            loop = Loop(emulator, campaign, store, tmp_path)
            # Within the client's own retries (3 after the first attempt).
            for operation in ("getBusinessOrders", "provideOrderDigitalCodes"):
                emulator.add_fault(operationId=operation, fault="PARALLEL_LIMIT", next=2)
            emulator.add_fault(
                operationId="provideOrderDigitalCodes", fault="SERVICE_UNAVAILABLE", next=1
            )
            order = emulator.digital_order(campaign.campaign_id, [(DEMO_DIGITAL_OFFER, 3)])
            order_id = int(order["id"])
            loop.wait_for_delivered(order_id)
            emailed = emulator.emailed_keys(order_id)
            exported = loop.wait_for_export(3)
            injected = [
                (rule["operationId"], rule["fault"], rule["injected"]) for rule in emulator.faults()
            ]

    assert len(emailed) == 3
    assert len(set(emailed)) == 3
    assert set(emailed) <= {row.key for row in imported}
    assert sorted(exported) == sorted(emailed)
    # Every fault was met and retried past: the 420s, then the 503.
    assert injected == [
        ("getBusinessOrders", "PARALLEL_LIMIT", 2),
        ("provideOrderDigitalCodes", "PARALLEL_LIMIT", 2),
        ("provideOrderDigitalCodes", "SERVICE_UNAVAILABLE", 1),
    ]
