"""The cabinet's reads on a running sandbox (``services.cabinet_queries``): an order's timeline in
sandbox-clock order with who moved it, its keys paged, the query log paged with cursors, and an
entry's bodies whole; on SQLite (the query log in a file of its own) and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.contract.enums import OrderStatus
from dbskit.market.services import cabinet_queries as cq
from tests.factories import runtime_of
from tests.orders_support import FROZEN_AT, FrozenWall, Shops, freeze_clock, make_shops

pytestmark = pytest.mark.usefixtures("wall")


@pytest.fixture
async def shops(client: httpx.AsyncClient, sandbox_headers: dict[str, str]) -> Shops:
    return await make_shops(client, sandbox_headers)


@pytest.fixture
def wall(app: FastAPI, shops: Shops, monkeypatch: pytest.MonkeyPatch) -> FrozenWall:
    return freeze_clock(app, monkeypatch)


DAY = "2030-12-31"


async def digital_order(shops: Shops, keys: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A digital order of ``keys`` units and the body that delivers their keys (two batches)."""
    item = {"offerId": "game-1", "offerName": "<script>x</script>", "count": keys, "price": 15}
    order = await shops.place(items=[item], delivery={"type": "DIGITAL"})
    item_id = order["items"][0]["id"]
    half = keys // 2
    batches = [
        {"id": item_id, "codes": [f"A-{n}" for n in range(half)], "slip": "<p>one</p>",
         "activate_till": DAY},
        {"id": item_id, "codes": [f"B-{n}" for n in range(keys - half)],
         "slip": "<p onclick='x()'>two</p>", "activate_till": DAY},
    ]  # fmt: skip
    return order, {"items": batches}


async def test_an_orders_timeline_tells_its_story_in_order(
    app: FastAPI, shops: Shops, wall: FrozenWall
) -> None:
    runtime = runtime_of(app)
    order, keys = await digital_order(shops, 4)
    oid = order["id"]
    wall.moment += timedelta(minutes=1)
    await shops.client.get(shops.path(oid))
    wall.moment += timedelta(minutes=1)
    sent = await shops.client.post(f"{shops.path(oid)}/deliverDigitalGoods", json=keys)
    assert sent.status_code == 200, sent.text
    response = await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": 3600}, headers=shops.sandbox_headers
    )
    assert response.status_code == 200
    await runtime.query_log.flush()

    timeline = await cq.order_timeline(runtime, oid)

    assert timeline is not None
    assert (timeline.summary.id, timeline.summary.status) == (oid, OrderStatus.DELIVERED)
    assert timeline.order.id == oid
    kinds = [(event.kind, event.actor) for event in timeline.events]
    assert kinds == [
        (cq.TimelineKind.PLACED, cq.Actor.SANDBOX),
        (cq.TimelineKind.NOTIFICATION, None),  # ORDER_CREATED
        (cq.TimelineKind.CALL, cq.Actor.SELLER),  # getOrder
        (cq.TimelineKind.CALL, cq.Actor.SELLER),  # deliverDigitalGoods
        (cq.TimelineKind.KEYS, None),
        (cq.TimelineKind.EMAIL, None),
        (cq.TimelineKind.STATUS, cq.Actor.MARKET),  # DELIVERED once e-mailed
        (cq.TimelineKind.NOTIFICATION, None),  # ORDER_STATUS_UPDATED
    ]
    times = [event.at for event in timeline.events]
    assert times == sorted(times)
    assert times[0] == FROZEN_AT + runtime.clock.offset - timedelta(seconds=3600)
    calls = [event for event in timeline.events if event.kind is cq.TimelineKind.CALL]
    assert [call.detail["operation_id"] for call in calls] == [
        "getOrder",
        "provideOrderDigitalCodes",
    ]
    assert all(call.ref == str(call.detail["entry_id"]) for call in calls)
    entry = await cq.query_log_entry(runtime, int(calls[1].ref or 0))
    assert entry is not None
    assert entry.row.order_id == oid
    assert '"A-0"' in entry.request_body  # the whole request, not in the timeline itself
    assert timeline.counts == cq.TimelineCounts(
        keys=4, calls=2, calls_shown=2, status_changes=1, notifications=2, emails=1
    )
    email = next(event for event in timeline.events if event.kind is cq.TimelineKind.EMAIL)
    assert email.ref is not None and int(email.ref) > 0
    assert await cq.order_timeline(runtime, 1) is None


async def test_an_orders_keys_a_page_at_a_time(app: FastAPI, shops: Shops) -> None:
    runtime = runtime_of(app)
    order, keys = await digital_order(shops, 5_000)
    sent = await shops.client.post(f"{shops.path(order['id'])}/deliverDigitalGoods", json=keys)
    assert sent.status_code == 200, sent.text

    first = await cq.order_keys_page(runtime, order["id"], offset=0, limit=3)
    across = await cq.order_keys_page(runtime, order["id"], offset=2_499, limit=2)
    last = await cq.order_keys_page(runtime, order["id"], offset=4_999, limit=500)
    whole = await cq.order_keys_page(runtime, order["id"], offset=0, limit=10_000)

    assert first is not None and across is not None and last is not None and whole is not None
    assert [key.code for key in first.keys] == ["A-0", "A-1", "A-2"]
    assert (first.total, first.offset, [b.batch for b in first.batches]) == (5_000, 0, [0])
    assert [(key.code, key.batch, key.position) for key in across.keys] == [
        ("A-2499", 0, 2_499),
        ("B-0", 1, 2_500),
    ]
    assert [batch.slip for batch in across.batches] == ["<p>one</p>", "<p onclick='x()'>two</p>"]
    assert "onclick" not in across.batches[1].slip_rendered  # as the buyer's e-mail shows it
    assert [key.code for key in last.keys] == ["B-2499"]
    assert len(whole.keys) == 5_000  # every key, at most KEYS_PAGE_MAX a page
    assert await cq.order_keys_page(runtime, 1) is None
    plain = await shops.place()
    none = await cq.order_keys_page(runtime, plain["id"])
    assert none is not None and (none.total, none.keys, none.batches) == (0, [], [])


async def test_lists_are_paged_by_their_cursors(
    app: FastAPI, shops: Shops, wall: FrozenWall
) -> None:
    runtime = runtime_of(app)
    placed = []
    for _ in range(5):
        placed.append((await shops.place())["id"])
        wall.moment += timedelta(seconds=1)
        await shops.client.get(shops.path(placed[-1]))
    await runtime.query_log.flush()
    mine = cq.OrderFilter(campaign_id=shops.mine.campaign_id)

    seen: list[int] = []
    cursor = None
    while True:
        page = await cq.list_orders(runtime, mine, limit=2, cursor=cursor)
        seen += [order.id for order in page.orders]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == placed[::-1]

    calls = cq.QueryLogFilter(operation="getOrder", campaign_id=shops.mine.campaign_id)
    first = await cq.query_log_page(runtime, calls, limit=3)
    second = await cq.query_log_page(runtime, calls, limit=3, cursor=first.next_cursor)
    assert [entry.order_id for entry in first.entries + second.entries] == placed[::-1]
    assert second.next_cursor is None
    with pytest.raises(cq.InvalidCursor):
        await cq.list_orders(runtime, mine, cursor="not-ours")
    with pytest.raises(ValueError, match="x"):
        await cq.query_log_page(runtime, calls, cursor="x")


async def test_the_log_shows_only_what_the_retention_keeps(app: FastAPI, shops: Shops) -> None:
    runtime = runtime_of(app)
    order = await shops.place()
    await shops.client.get(shops.path(order["id"]))
    await runtime.query_log.flush()
    (entry,) = (await cq.query_log_page(runtime, cq.QueryLogFilter(order_id=order["id"]))).entries
    assert await cq.query_log_entry(runtime, entry.id) is not None
    days = runtime.query_log.retention.total_seconds() + 1
    response = await shops.client.post(
        "/sandbox/clock", json={"advanceSeconds": days}, headers=shops.sandbox_headers
    )
    assert response.status_code == 200
    assert (await cq.query_log_page(runtime, cq.QueryLogFilter())).entries == []
    assert await cq.query_log_entry(runtime, entry.id) is None
