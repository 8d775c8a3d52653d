"""POST /sandbox/reset: everything or one campaign, keeping campaigns and keys (docs/decisions.md
"Resetting the sandbox")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.database.db import Database
from dbskit.market.runtime import Runtime
from dbskit.market.storage.reset import CLEARED, KEPT
from dbskit.market.storage.tables import metadata, query_log
from dbskit.settings import Settings
from tests.conftest import envelope
from tests.factories import SANDBOX, Seller, create_campaign, create_token, runtime_of
from tests.orders_support import FROZEN_AT, freeze_clock

RESET = "/sandbox/reset"
UNREACHABLE = "http://127.0.0.1:9/notifications"  # the discard port: attempts fail at once
DAY = "2030-12-31"


def _count(db: Database, table: sa.Table) -> int:
    with db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


async def row_counts(app: FastAPI) -> dict[str, int]:
    """Rows of every table, the query log's from its own database (its buffer written first)."""
    runtime = runtime_of(app)
    await runtime.query_log.flush()
    return {
        name: _count(runtime.log_db if table is query_log else runtime.db, table)
        for name, table in metadata.tables.items()
    }


async def seller_with_url(client: httpx.AsyncClient) -> Seller:
    campaign = await create_campaign(client, notificationUrl=UNREACHABLE)
    token = await create_token(client, campaign["businessId"])
    return Seller(campaign["businessId"], campaign["campaignId"], token["apiKey"])


async def busy_campaign(client: httpx.AsyncClient, seller: Seller) -> int:
    """A campaign with a row in every table a reset clears; the id of its digital order."""
    base = f"/v2/campaigns/{seller.campaign_id}/orders"
    order = await place(client, seller, delivery={"type": "DIGITAL"})
    item = order["items"][0]["id"]
    keys = {"items": [{"id": item, "code": "K-1", "slip": "s", "activate_till": DAY}]}
    response = await client.post(  # the deprecated ``code`` leaves a warning (C-03)
        f"{base}/{order['id']}/deliverDigitalGoods", json=keys, headers=seller.headers
    )
    assert response.status_code == 200, response.text
    parcel = await place(client, seller)
    track = {"trackCode": "RA1", "deliveryServiceId": 51}
    response = await client.post(
        f"{base}/{parcel['id']}/delivery/track", json=track, headers=seller.headers
    )
    assert response.status_code == 200, response.text
    rule = {"operationId": "getOrders", "campaignId": seller.campaign_id}
    await add_rule(client, **rule, fault="LATENCY", latencyMs=1, next=1)
    response = await client.post("/sandbox/clock", json={"advanceSeconds": 1}, headers=SANDBOX)
    assert response.status_code == 200  # the notifications' first attempts run (and fail)
    return int(order["id"])


async def place(client: httpx.AsyncClient, seller: Seller, **body: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "items": [{"offerId": "game-1", "count": 1, "price": 990}],
        "delivery": {"type": "DELIVERY"},
        **body,
    }
    response = await client.post(
        f"/sandbox/campaigns/{seller.campaign_id}/orders", json=request, headers=SANDBOX
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()["order"]
    return order


async def add_rule(client: httpx.AsyncClient, **body: Any) -> None:
    response = await client.post("/sandbox/faults", json=body, headers=SANDBOX)
    assert response.status_code == 201, response.text


async def reset(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post(RESET, json=body, headers=SANDBOX)
    assert response.status_code == 200, response.text
    done: dict[str, Any] = response.json()
    return done


@pytest.mark.decision("Resetting the sandbox")
async def test_every_table_is_cleared_or_kept(app: FastAPI, client: httpx.AsyncClient) -> None:
    seller = await seller_with_url(client)
    await busy_campaign(client, seller)
    cleared = {table.name for table in CLEARED}
    assert cleared | KEPT.keys() == metadata.tables.keys()
    assert not cleared & KEPT.keys()
    before = await row_counts(app)
    assert {name for name in cleared if before[name] == 0} == set()  # each one has rows to lose

    done = await reset(client)

    after = await row_counts(app)
    assert {name: after[name] for name in cleared} == dict.fromkeys(cleared, 0)
    assert {name: after[name] for name in KEPT} == {name: before[name] for name in KEPT}
    assert done["deleted"] == {name: before[name] for name in cleared}
    assert done["clockReset"] is True


@pytest.mark.decision("Resetting the sandbox")
async def test_keys_and_campaigns_work_after_a_reset(client: httpx.AsyncClient) -> None:
    seller = await seller_with_url(client)
    order_id = await busy_campaign(client, seller)
    order = f"/v2/campaigns/{seller.campaign_id}/orders/{order_id}"
    assert (await client.get(order, headers=seller.headers)).status_code == 200
    await reset(client)
    response = await client.get(order, headers=seller.headers)  # no answer kept from before
    assert response.status_code == 404
    listing = await client.get(f"/v2/campaigns/{seller.campaign_id}/orders", headers=seller.headers)
    assert (listing.status_code, listing.json()["orders"]) == (200, [])
    assert (await client.get("/sandbox/faults", headers=SANDBOX)).json() == {"rules": []}
    requests = await client.get("/sandbox/requests", headers=SANDBOX)
    assert [entry["operationId"] for entry in requests.json()["requests"]] == [
        "getOrders",
        "getOrder",
    ]  # only the calls made since the reset


@pytest.mark.decision("Resetting the sandbox")
async def test_a_campaigns_reset_leaves_the_others(app: FastAPI, client: httpx.AsyncClient) -> None:
    mine, other = await seller_with_url(client), await seller_with_url(client)
    mine_order = await busy_campaign(client, mine)
    other_order = await busy_campaign(client, other)
    now = (await client.get("/sandbox/clock", headers=SANDBOX)).json()["now"]
    before = await row_counts(app)

    done = await reset(client, campaignId=mine.campaign_id)

    assert (done["campaignId"], done["clockReset"]) == (mine.campaign_id, False)
    assert done["now"] >= now  # the clock stays where it was
    after = await row_counts(app)
    assert {name: before[name] - after[name] for name in done["deleted"]} == done["deleted"]
    assert done["deleted"]["orders"] == 2
    assert done["deleted"]["fault_rules"] == 1
    mine_path = f"/v2/campaigns/{mine.campaign_id}/orders/{mine_order}"
    other_path = f"/v2/campaigns/{other.campaign_id}/orders/{other_order}"
    assert (await client.get(mine_path, headers=mine.headers)).status_code == 404
    assert (await client.get(other_path, headers=other.headers)).status_code == 200
    outbox = await client.get("/sandbox/outbox", headers=SANDBOX)
    assert {message["campaignId"] for message in outbox.json()["messages"]} == {other.campaign_id}
    logged = await client.get("/sandbox/requests", headers=SANDBOX)
    campaigns = {entry["campaignId"] for entry in logged.json()["requests"]}
    assert mine.campaign_id in campaigns  # the getOrder above, made after the reset
    faults = (await client.get("/sandbox/faults", headers=SANDBOX)).json()["rules"]
    assert [rule["campaignId"] for rule in faults] == [other.campaign_id]


@pytest.mark.decision("Resetting the sandbox")
async def test_a_full_reset_sets_the_clock_back_to_real_time(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall = freeze_clock(app, monkeypatch)
    response = await client.post(
        "/sandbox/clock", json={"advanceSeconds": 86_400 * 30}, headers=SANDBOX
    )
    assert response.status_code == 200
    done = await reset(client)
    assert done["clockReset"] is True
    real = wall.moment.isoformat().replace("+00:00", "Z")
    assert done["now"] == real
    assert (await client.get("/sandbox/clock", headers=SANDBOX)).json() == {"now": real}
    runtime = runtime_of(app)
    assert runtime.clock.offset == timedelta(0)
    assert FROZEN_AT - wall.moment >= timedelta(0)  # the frozen sandbox time was ahead of the wall
    response = await client.post("/sandbox/clock", json={"advanceSeconds": 60}, headers=SANDBOX)
    assert response.json()["now"] == (wall.moment + timedelta(seconds=60)).isoformat().replace(
        "+00:00", "Z"
    )


@pytest.mark.decision("Resetting the sandbox")
async def test_another_instance_adopts_the_reset_clock(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    runtime = runtime_of(app)
    response = await client.post("/sandbox/clock", json={"advanceSeconds": 3600}, headers=SANDBOX)
    assert response.status_code == 200
    other = Runtime.build(runtime.settings)
    other.prepare()
    try:
        assert other.clock.offset >= timedelta(hours=1)
        await reset(client)
        await other.clock_service.refresh()
        assert (other.clock.offset, other.clock.resets) == (timedelta(0), runtime.clock.resets)
    finally:
        other.db.dispose()
        if other.log_db is not other.db:
            other.log_db.dispose()


@pytest.mark.decision("Resetting the sandbox")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 1}}])
async def test_a_reset_clears_the_limit_counters(client: httpx.AsyncClient) -> None:
    mine, other = await seller_with_url(client), await seller_with_url(client)

    async def status(seller: Seller) -> int:
        path = f"/v2/campaigns/{seller.campaign_id}/orders/5"
        return (await client.get(path, headers=seller.headers)).status_code

    assert [await status(mine), await status(mine), await status(other), await status(other)] == [
        404,
        420,
        404,
        420,
    ]
    await reset(client, campaignId=mine.campaign_id)
    assert [await status(mine), await status(other)] == [404, 420]
    await reset(client)
    assert [await status(mine), await status(other)] == [404, 404]


@pytest.mark.decision("Resetting the sandbox")
async def test_a_reset_without_a_body_resets_everything(client: httpx.AsyncClient) -> None:
    response = await client.post(RESET, headers=SANDBOX)
    assert (response.status_code, response.json()["clockReset"]) == (200, True)


@pytest.mark.decision("Resetting the sandbox")
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        pytest.param({"campaignId": 99}, 404, "Campaign not found: '99'", id="unknown"),
        pytest.param(
            {"campaignId": "x"}, 400, "Value of field campaignId must be an integer", id="text"
        ),
        pytest.param(
            {"campaignId": 0},
            400,
            "Value / length of field campaignId (0) must be greater than or equal to 1",
            id="zero",
        ),
    ],
)
async def test_a_bad_campaign_resets_nothing(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any], status: int, message: str
) -> None:
    seller = await seller_with_url(client)
    await place(client, seller)
    response = await client.post(RESET, json=body, headers=SANDBOX)
    code = "NOT_FOUND" if status == 404 else "BAD_REQUEST"
    assert (response.status_code, response.json()) == (status, envelope((code, message)))
    assert (await row_counts(app))["orders"] == 1


@pytest.mark.decision("The Sandbox-Token")
async def test_reset_needs_the_sandbox_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    seller = await seller_with_url(client)
    await place(client, seller)
    response = await client.post(RESET, headers={"Sandbox-Token": "wrong"})
    assert response.status_code == 401
    assert (await row_counts(app))["orders"] == 1


@pytest.mark.decision("Resetting the sandbox")
@pytest.mark.redis
async def test_a_reset_clears_the_counters_in_redis(settings: Settings, redis_url: str) -> None:
    shared = settings.model_copy(
        update={"redis_url": redis_url, "limit_overrides": {"getOrder": 1}}
    )
    application = create_app(shared)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as client:
            seller = await seller_with_url(client)
            path = f"/v2/campaigns/{seller.campaign_id}/orders/5"
            statuses = [(await client.get(path, headers=seller.headers)).status_code for _ in "ab"]
            assert statuses == [404, 420]
            await reset(client)
            assert (await client.get(path, headers=seller.headers)).status_code == 404
