"""The autopilot against the emulator in process: an order notification to the store, the job
run, and what the Market and the vault hold after (docs/decisions.md, "The autopilot acts on the
order"). The store calls the Market through ``AsyncMarketClient`` over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.client import AsyncMarketClient, RetryPolicy
from dbskit.settings import Settings
from dbskit.shop.app import build_store_service, create_store_app
from dbskit.shop.autopilot.market import MarketDates, StoreMarket
from dbskit.shop.autopilot.status import store_status_lines
from dbskit.shop.notification_parsing import read_notification
from dbskit.shop.notifications import StoreNotifications
from dbskit.shop.storage import orders, vault
from dbskit.shop.storage.jobs import pending_summary
from dbskit.shop.storage.key_rows import KeyRow
from tests.cart_factories import fixed_clock
from tests.orders_support import FROZEN_AT, FrozenWall, Shops

ACTS = "The autopilot acts on the order"
DEADLINE = "The keys' deadline on the Market's clock"
SLIP = "<p>game: activate the key as the publisher describes.</p>"


@dataclass
class QueueClock:
    """The job queue's clock, moved by the test to let a job's retry or wait fall due."""

    moment: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.moment


@dataclass
class Store:
    desk: StoreNotifications
    http: httpx.AsyncClient
    queue: QueueClock
    shops: Shops

    async def notify(self, body: dict[str, Any]) -> None:
        answer = await self.http.post("/notification", json=body)
        assert answer.status_code == 200, answer.text

    async def run_jobs(self) -> int:
        return await self.desk.worker.run_due()

    async def later(self, seconds: float) -> int:
        self.queue.moment += timedelta(seconds=seconds)
        return await self.run_jobs()

    async def import_keys(self, *rows: KeyRow) -> None:
        vault.import_keys(await self.desk.database(), rows)

    async def order(self, order_id: int) -> orders.StoreOrder | None:
        db = await self.desk.database()
        with db.read() as tx:
            return orders.get_order(tx, order_id)

    async def held(self, order_id: int) -> dict[int, list[str]]:
        db = await self.desk.database()
        with db.read() as tx:
            held = vault.reserved_for(tx, order_id)
        return {item: [key.key for key in keys] for item, keys in held.items()}

    async def available(self, offer_id: str) -> int:
        stock = {row.offer_id: row for row in vault.stock(await self.desk.database(), 1)}
        return stock[offer_id].available

    async def status(self) -> list[str]:
        return list(store_status_lines(await self.desk.database()))


@pytest.fixture
def policy() -> str:
    return "seller"


@pytest.fixture
async def store(
    app: FastAPI, shops: Shops, wall: FrozenWall, tmp_path: Path, policy: str, database_url: str
) -> AsyncIterator[Store]:
    market = AsyncMarketClient(
        api_key=shops.mine.api_key,
        base_url="http://dbskit.test",
        transport=MarketDates(httpx.ASGITransport(app=app)),
        retry=RetryPolicy(max_retries=0),  # the job's own retry is under test
    )
    # On PostgreSQL the store's tables go beside the Market's (their own names); on SQLite the
    # store has its own file, as by default.
    on_server = None if database_url.startswith("sqlite") else database_url
    settings = Settings(
        data_dir=tmp_path / "store",
        store_database_url=on_server,
        store_cancellation_policy=policy,
    )
    queue = QueueClock()
    desk = StoreNotifications(
        settings,
        clock=fixed_clock(),
        market=StoreMarket(market, shops.mine.business_id),
        start_worker=False,
        queue_now=queue,
    )
    store_app = create_store_app(build_store_service(settings), notifications=desk)
    async with store_app.router.lifespan_context(store_app):
        transport = httpx.ASGITransport(app=store_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://store.test") as http:
            yield Store(desk, http, queue, shops)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def created(order: dict[str, Any], campaign_id: int, at: datetime = FROZEN_AT) -> dict[str, Any]:
    return {
        "notificationType": "ORDER_CREATED",
        "orderId": order["id"],
        "campaignId": campaign_id,
        "items": [{"offerId": i["offerId"], "count": i["count"]} for i in order["items"]],
        "createdAt": iso(at),
    }


async def place_digital(
    shops: Shops, *lines: tuple[str, int], kind: str = "EMAIL"
) -> dict[str, Any]:
    return await shops.place(
        items=[{"offerId": offer, "count": count, "price": 500} for offer, count in lines],
        delivery={"type": "DIGITAL", "digitalGoods": {"type": kind}},
    )


async def market_view(shops: Shops, order_id: int) -> dict[str, Any]:
    answer = await shops.client.get(
        f"/sandbox/campaigns/{shops.mine.campaign_id}/orders/{order_id}",
        headers=shops.sandbox_headers,
    )
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


def sent_keys(view: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    return {
        item["id"]: [
            {"codes": b["codes"], "activateTill": b["activateTill"], "slip": b["slip"]}
            for b in item["batches"]
        ]
        for item in view["digitalKeys"]["items"]
    }


async def advance(shops: Shops, seconds: int) -> None:
    moved = await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": seconds}, headers=shops.sandbox_headers
    )
    assert moved.status_code == 200, moved.text


@pytest.mark.rule("R-007", "R-008", "R-009", "OQ-02", "R-005")
@pytest.mark.decision(ACTS)
async def test_a_digital_order_gets_exactly_its_keys(store: Store, shops: Shops) -> None:
    await store.import_keys(
        KeyRow("game-1", "G1-A", date(2031, 1, 31)),
        KeyRow("game-1", "G1-B", date(2030, 12, 31)),
        KeyRow("game-1", "G1-C"),
        KeyRow("game-2", "G2-A"),
    )
    order = await place_digital(shops, ("game-1", 2), ("game-2", 1))
    await store.notify(created(order, shops.mine.campaign_id))
    assert await store.run_jobs() == 1

    first, second = (item["id"] for item in order["items"])
    view = await market_view(shops, order["id"])
    assert view["digitalKeys"]["calls"] == 1
    assert sent_keys(view) == {
        first: [
            {
                "codes": ["G1-A", "G1-B"],
                "activateTill": "2030-12-31",  # the earliest of the two keys'
                "slip": SLIP.replace("game", "game-1"),
            }
        ],
        second: [
            {
                "codes": ["G2-A"],
                "activateTill": "2099-12-31",  # no deadline: far in the future
                "slip": SLIP.replace("game", "game-2"),
            }
        ],
    }
    assert await store.held(order["id"]) == {first: ["G1-A", "G1-B"], second: ["G2-A"]}
    assert await store.available("game-1") == 1
    known = await store.order(order["id"])
    assert known is not None
    assert (known.delivery_type, known.delivered_at, known.late, known.needs_seller) == (
        "EMAIL",
        FROZEN_AT,  # the Date of the Market's 200, its sandbox clock
        False,
        None,
    )
    assert known.keys_due_at == FROZEN_AT + timedelta(minutes=30)

    # A later notification of the same order finds the keys sent: nothing is sent again.
    await store.notify(
        {
            "notificationType": "ORDER_STATUS_UPDATED",
            "orderId": order["id"],
            "campaignId": shops.mine.campaign_id,
            "status": "PROCESSING",
            "substatus": "STARTED",
            "updatedAt": iso(FROZEN_AT + timedelta(seconds=1)),
        }
    )
    assert await store.run_jobs() == 1
    assert (await market_view(shops, order["id"]))["digitalKeys"]["calls"] == 1


@pytest.mark.rule("R-012", "R-114")
@pytest.mark.decision(ACTS)
async def test_the_body_alone_is_never_acted_on(store: Store, shops: Shops) -> None:
    """The notification claims a digital offer; the Market's order is a courier one."""
    await store.import_keys(KeyRow("game-1", "G1-A"))
    order = await shops.place(items=[{"offerId": "game-1", "count": 1, "price": 500}])
    await store.notify(created(order, shops.mine.campaign_id))
    # An order the Market does not have at all.
    await store.notify(created({"id": 999_999, "items": []}, shops.mine.campaign_id))
    assert await store.run_jobs() == 2
    assert await store.held(order["id"]) == {}
    assert await store.available("game-1") == 1
    known = await store.order(order["id"])
    assert known is not None
    assert (known.delivery_type, known.needs_seller) == (None, None)
    assert await store.order(999_999) is None


@pytest.mark.rule("R-013", "R-085", "OQ-01")
@pytest.mark.decision(ACTS)
@pytest.mark.parametrize("fault_kind", ["INTERNAL_ERROR", "PARALLEL_LIMIT"])
async def test_after_a_failed_call_the_identical_keys_go_again(
    store: Store, shops: Shops, fault_kind: str
) -> None:
    """The client gives up at once here (no retries): the job's own retry reads the order
    again and sends the keys it had reserved."""
    await store.import_keys(*(KeyRow("game-1", f"K-{n}") for n in range(4)))
    order = await place_digital(shops, ("game-1", 2))
    fault = await shops.client.post(
        "/sandbox/faults",
        json={"operationId": "provideOrderDigitalCodes", "fault": fault_kind, "next": 1},
        headers=shops.sandbox_headers,
    )
    assert fault.status_code == 201, fault.text
    await store.notify(created(order, shops.mine.campaign_id))
    assert await store.run_jobs() == 1
    reserved = await store.held(order["id"])
    assert "digitalKeys" not in await market_view(shops, order["id"])
    assert (await store.order(order["id"])).delivered_at is None  # type: ignore[union-attr]

    # Not due before its backoff; then the order is read again and the same keys sent.
    assert await store.run_jobs() == 0
    assert await store.later(2) == 1
    view = await market_view(shops, order["id"])
    assert [batch["codes"] for batch in sent_keys(view)[order["items"][0]["id"]]] == [
        reserved[order["items"][0]["id"]]
    ]
    assert await store.available("game-1") == 2


@pytest.mark.rule("OQ-26")
@pytest.mark.decision(ACTS)
async def test_cancelled_before_the_keys_went_out_releases_them(store: Store, shops: Shops) -> None:
    await store.import_keys(KeyRow("game-1", "K-1"), KeyRow("game-1", "K-2"))
    order = await place_digital(shops, ("game-1", 2))
    fault = await shops.client.post(
        "/sandbox/faults",
        json={
            "operationId": "provideOrderDigitalCodes",
            "fault": "SERVICE_UNAVAILABLE",
            "every": 1,
        },
        headers=shops.sandbox_headers,
    )
    assert fault.status_code == 201, fault.text
    await store.notify(created(order, shops.mine.campaign_id))
    assert await store.run_jobs() == 1
    assert await store.available("game-1") == 0
    moved = await shops.move(order["id"], "CANCELLED", "USER_CHANGED_MIND")
    assert moved.status_code == 200, moved.text
    assert await store.later(2) == 1
    assert await store.held(order["id"]) == {}
    assert await store.available("game-1") == 2
    assert pending_summary(await store.desk.database()).pending == 0


@pytest.mark.rule("R-011", "R-105")
@pytest.mark.decision(ACTS)
async def test_delivered_meanwhile_marks_the_keys_delivered(store: Store, shops: Shops) -> None:
    """The store's call went through but it died before writing so: the keys it had reserved
    went to the Market, which has since delivered the order."""
    await store.import_keys(KeyRow("game-1", "K-1"), KeyRow("game-1", "K-2"))
    order = await place_digital(shops, ("game-1", 1))
    item_id = order["items"][0]["id"]
    db = await store.desk.database()
    with db.write() as tx:
        held = vault.reserve(tx, order_id=order["id"], item_id=item_id, offer_id="game-1", count=1)
    body = {
        "items": [
            {"id": item_id, "codes": [held[0].key], "slip": SLIP, "activate_till": "2099-12-31"}
        ]
    }
    path = f"{shops.path(order['id'])}/deliverDigitalGoods"
    assert (await shops.client.post(path, json=body)).status_code == 200
    await advance(shops, 10)  # past the e-mail's delay (OQ-05): DELIVERED
    await store.notify(created(order, shops.mine.campaign_id))
    assert await store.run_jobs() == 1
    delivered = [key for key in vault.delivered(db)]
    assert [(key.key, key.order_id) for key in delivered] == [(held[0].key, order["id"])]
    assert await store.available("game-1") == 1
    known = await store.order(order["id"])
    assert known is not None and known.status == "DELIVERED"


@pytest.mark.rule("R-009", "OQ-02")
@pytest.mark.decision(ACTS)
async def test_out_of_keys_the_job_waits_and_says_so(
    store: Store, shops: Shops, caplog: pytest.LogCaptureFixture
) -> None:
    await store.import_keys(KeyRow("game-1", "K-1"))
    order = await place_digital(shops, ("game-1", 2))
    await store.notify(created(order, shops.mine.campaign_id))
    assert await store.run_jobs() == 1
    reason = "out of keys for offer game-1: 2 more needed, 1 left"
    status = await store.status()
    assert f"  order {order['id']} (PROCESSING): {reason}" in status
    waiting = [line for line in status if line.startswith("  waiting order:ORDER_CREATED:")]
    assert len(waiting) == 1 and f": {reason} (next look " in waiting[0]
    assert f"order {order['id']} waits: {reason}" in caplog.messages
    assert await store.available("game-1") == 1  # nothing reserved
    await store.import_keys(KeyRow("game-1", "K-2"))
    assert await store.later(31) == 1
    assert list((await store.held(order["id"])).values()) == [["K-1", "K-2"]]
    status = await store.status()
    assert status[0] == "orders needing the seller: 0"
    assert status[-1] == "jobs: 0 pending, 0 running, 0 waiting"


@pytest.mark.rule("R-009")
@pytest.mark.decision(DEADLINE)
async def test_a_late_delivery_is_reported(store: Store, shops: Shops) -> None:
    await store.import_keys(KeyRow("game-1", "K-1"))
    order = await place_digital(shops, ("game-1", 1))
    await store.notify(created(order, shops.mine.campaign_id))
    await advance(shops, 31 * 60)  # the Market's clock, not the store's
    assert await store.run_jobs() == 1
    known = await store.order(order["id"])
    assert known is not None
    assert (known.delivered_at, known.late) == (FROZEN_AT + timedelta(minutes=31), True)
    status = await store.status()
    assert "late deliveries: 1" in status
    due = (FROZEN_AT + timedelta(minutes=30)).isoformat()
    delivered = (FROZEN_AT + timedelta(minutes=31)).isoformat()
    assert f"  order {order['id']}: keys due {due}, delivered {delivered}" in status


@pytest.mark.rule("R-012")
@pytest.mark.decision(ACTS)
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("STEAM_GIFT", "STEAM_GIFT order: send the Steam gift yourself"),
        ("CHAT", "CHAT order: send the keys in the chat yourself"),
    ],
)
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026"}])  # the other types'
async def test_steam_gift_and_chat_orders_are_the_sellers(
    store: Store, shops: Shops, kind: str, reason: str
) -> None:
    await store.import_keys(KeyRow("game-1", "K-1"))
    order = await place_digital(shops, ("game-1", 1), kind=kind)
    await store.notify(created(order, shops.mine.campaign_id))
    assert await store.run_jobs() == 1
    assert await store.held(order["id"]) == {}
    assert f"  order {order['id']} (PROCESSING): {reason}" in await store.status()


def cancellation_request(order: dict[str, Any], campaign_id: int) -> dict[str, Any]:
    return {
        "notificationType": "ORDER_CANCELLATION_REQUEST",
        "orderId": order["id"],
        "campaignId": campaign_id,
        "requestedAt": iso(FROZEN_AT),
    }


async def requested_cancellation(shops: Shops) -> dict[str, Any]:
    order = await shops.place(status="DELIVERY", delivery={"type": "DELIVERY"})
    assert (await shops.move(order["id"], "CANCELLED", "USER_CHANGED_MIND")).status_code == 200
    return order


async def market_order(shops: Shops, order_id: int) -> dict[str, Any]:
    answer = await shops.client.post(
        f"/v1/businesses/{shops.mine.business_id}/orders",
        json={"orderIds": [order_id], "fake": True},
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()["orders"][0]
    return found


@pytest.mark.rule("R-102")
@pytest.mark.decision(ACTS)
@pytest.mark.parametrize("policy", ["accept"])
async def test_cancellation_requests_accepted_by_policy(store: Store, shops: Shops) -> None:
    order = await requested_cancellation(shops)
    await store.notify(cancellation_request(order, shops.mine.campaign_id))
    assert await store.run_jobs() == 1
    found = await market_order(shops, order["id"])
    assert (found["status"], found["substatus"], found["cancelRequested"]) == (
        "CANCELLED",
        "USER_CHANGED_MIND",
        False,
    )


@pytest.mark.rule("R-102")
@pytest.mark.decision(ACTS)
async def test_cancellation_requests_left_to_the_seller(store: Store, shops: Shops) -> None:
    order = await requested_cancellation(shops)
    await store.notify(cancellation_request(order, shops.mine.campaign_id))
    assert await store.run_jobs() == 1
    found = await market_order(shops, order["id"])
    assert (found["status"], found["cancelRequested"]) == ("DELIVERY", True)
    reason = "the buyer asked to cancel: accept or reject it (acceptOrderCancellation)"
    assert f"  order {order['id']} (DELIVERY): {reason}" in await store.status()


@pytest.mark.rule("R-078")
@pytest.mark.decision("The store's business id")
async def test_a_business_id_not_the_keys_waits_with_the_reason(
    app: FastAPI, shops: Shops, tmp_path: Path
) -> None:
    market = AsyncMarketClient(
        api_key=shops.mine.api_key,
        base_url="http://dbskit.test",
        transport=MarketDates(httpx.ASGITransport(app=app)),
    )
    settings = Settings(data_dir=tmp_path / "store")
    desk = StoreNotifications(
        settings,
        clock=fixed_clock(),
        market=StoreMarket(market, shops.other.business_id),
        start_worker=False,
    )
    try:
        order = await place_digital(shops, ("game-1", 1))
        db = await desk.database()
        fresh = await desk.keep(
            read_notification(httpx.Request("POST", "/", json=created(order, 1)).content)
        )
        assert fresh
        assert await desk.worker.run_due() == 1
        waiting = pending_summary(db).waiting
        assert [job.reason for job in waiting] == [
            "the Market refused the store's access (check the Api-Key and business id): "
            "getBusinessOrders: 403 FORBIDDEN: Access denied"
        ]
    finally:
        await desk.close()
