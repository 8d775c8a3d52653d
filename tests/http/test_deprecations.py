"""getOrder and getOrders as the 2026 spec retires them (docs/decisions.md, "Deprecated methods
(OQ-29)"): answered before 2027-01-18, every Nth call of a token failing until 2027-04-12, every
call failing from then; the query log and the sandbox order view mark their calls either way.

The wall clock is frozen on 2027-01-17 in Moscow and the sandbox clock moved through
``POST /sandbox/clock``, so nothing depends on the day the tests run.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from dbskit.market.runtime import Runtime
from tests.conftest import envelope
from tests.factories import create_token
from tests.orders_support import FrozenWall, Shops

DECISION = "Deprecated methods (OQ-29)"

# 2027-01-18 00:00 and 2027-04-12 00:00 in Moscow (UTC+3), the spec's dates.
DEGRADATION = datetime(2027, 1, 17, 21, 0, tzinfo=UTC)
SHUTDOWN = datetime(2027, 4, 11, 21, 0, tzinfo=UTC)
LAST_SECOND = timedelta(seconds=1)
MARK = {
    "replacement": "getBusinessOrders",
    "degradationStart": "2027-01-18",
    "shutdown": "2027-04-12",
}


def degraded(method: str) -> dict[str, Any]:
    return envelope(
        (
            "GONE",
            f"Method {method} is deprecated: since 2027-01-18 some of its calls fail, and from "
            "2027-04-12 every call will; use getBusinessOrders instead",
        )
    )


def shut_down(method: str) -> dict[str, Any]:
    return envelope(
        ("GONE", f"Method {method} was shut down on 2027-04-12; use getBusinessOrders instead")
    )


@pytest.fixture
def wall(app: FastAPI, shops: Shops, monkeypatch: pytest.MonkeyPatch) -> FrozenWall:
    """The sandbox clock at 2027-01-17 23:00 in Moscow, an hour before the degradation."""
    runtime: Runtime = app.state.runtime
    frozen = FrozenWall(DEGRADATION - timedelta(hours=1) - runtime.clock.offset)
    monkeypatch.setattr(runtime.clock, "_wall", frozen)
    return frozen


async def move_clock(shops: Shops, moment: datetime) -> None:
    response = await shops.client.post(
        "/sandbox/clock", json={"now": moment.isoformat()}, headers=shops.sandbox_headers
    )
    assert response.status_code == 200, response.text


def get_order(shops: Shops, order_id: int, key: str | None = None) -> Any:
    headers = None if key is None else {"Api-Key": key}
    return shops.client.get(shops.path(order_id), headers=headers)


def get_orders(shops: Shops, key: str | None = None) -> Any:
    headers = None if key is None else {"Api-Key": key}
    return shops.client.get(shops.orders, params={"fake": "true"}, headers=headers)


async def statuses(shops: Shops, order_id: int, calls: int, key: str | None = None) -> list[int]:
    return [(await get_order(shops, order_id, key)).status_code for _ in range(calls)]


@pytest.mark.rule("R-119")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026"}])
@pytest.mark.usefixtures("wall")
async def test_on_by_default_under_2026_from_the_degradation_date(shops: Shops) -> None:
    order = await shops.place()
    await move_clock(shops, DEGRADATION - LAST_SECOND)  # 23:59:59 on 17 January in Moscow
    assert await statuses(shops, order["id"], 12) == [200] * 12  # not counted yet
    await move_clock(shops, DEGRADATION)
    assert await statuses(shops, order["id"], 9) == [200] * 9
    tenth = await get_order(shops, order["id"])
    assert (tenth.status_code, tenth.json()) == (410, degraded("getOrder"))
    assert await statuses(shops, order["id"], 9) == [200] * 9
    assert (await get_order(shops, order["id"])).status_code == 410


@pytest.mark.rule("R-119", "R-120", "OQ-15")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    "settings_overrides", [{"deprecations": True, "deprecation_fail_every": 3}]
)
@pytest.mark.usefixtures("wall")
async def test_every_nth_call_of_each_token_fails(shops: Shops) -> None:
    order = await shops.place()
    other_key = (await create_token(shops.client, shops.mine.business_id))["apiKey"]
    await move_clock(shops, DEGRADATION)
    assert await statuses(shops, order["id"], 2) == [200, 200]
    assert await statuses(shops, order["id"], 2, other_key) == [200, 200]  # counted apart
    third = await get_orders(shops)  # getOrders shares the token's count with getOrder
    assert (third.status_code, third.json()) == (410, degraded("getOrders"))
    # Not a limit: the failure spent one call of the hourly budget, like any 4xx.
    assert (third.headers["X-RateLimit-Resource-Remaining"], "Retry-After" in third.headers) == (
        "99999",
        False,
    )
    other_third = await get_order(shops, order["id"], other_key)
    assert (other_third.status_code, other_third.json()) == (410, degraded("getOrder"))
    assert [(await get_orders(shops)).status_code for _ in range(3)] == [200, 200, 410]
    assert await statuses(shops, order["id"], 3, other_key) == [200, 200, 410]


@pytest.mark.rule("R-119")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    "settings_overrides",
    [{"deprecations": True, "deprecation_fail_every": 4, "parallel_limit": 20}],
)
@pytest.mark.usefixtures("wall")
async def test_concurrent_calls_fail_exactly_every_nth(shops: Shops) -> None:
    order = await shops.place()
    await move_clock(shops, DEGRADATION)
    answers = await asyncio.gather(*(get_order(shops, order["id"]) for _ in range(12)))
    assert sorted(answer.status_code for answer in answers) == [200] * 9 + [410] * 3


@pytest.mark.rule("R-119", "R-120")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026"}])
@pytest.mark.usefixtures("wall")
async def test_from_the_shutdown_date_every_call_fails(shops: Shops) -> None:
    await move_clock(shops, SHUTDOWN - LAST_SECOND)
    order = await shops.place()  # test orders are deleted after 10 days: one placed now
    assert await statuses(shops, order["id"], 9) == [200] * 9
    await move_clock(shops, SHUTDOWN)
    for _ in range(3):
        answer = await get_order(shops, order["id"])
        assert (answer.status_code, answer.json()) == (410, shut_down("getOrder"))
    listing = await get_orders(shops)
    assert (listing.status_code, listing.json()) == (410, shut_down("getOrders"))
    replacement = await shops.client.post(
        f"/v1/businesses/{shops.mine.business_id}/orders", json={"fake": True}
    )
    assert replacement.status_code == 200, replacement.text


@pytest.mark.rule("R-119", "R-120")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    "settings_overrides",
    [
        pytest.param({"profile": "2026", "deprecations": False}, id="2026-switched-off"),
        pytest.param({"profile": "seed"}, id="seed-default-off"),
    ],
)
@pytest.mark.usefixtures("wall")
async def test_switched_off_the_methods_keep_answering(shops: Shops) -> None:
    await move_clock(shops, SHUTDOWN)
    order = await shops.place()
    assert await statuses(shops, order["id"], 11) == [200] * 11
    assert (await get_orders(shops)).status_code == 200


async def logged(shops: Shops) -> list[dict[str, Any]]:
    response = await shops.client.get("/sandbox/requests", headers=shops.sandbox_headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


@pytest.mark.rule("R-111")
@pytest.mark.decision(DECISION, "Query log")
@pytest.mark.parametrize(
    "settings_overrides",
    [
        pytest.param({"deprecations": True, "deprecation_fail_every": 2}, id="on"),
        pytest.param({"deprecations": False}, id="off"),
    ],
)
@pytest.mark.usefixtures("wall")
async def test_the_query_log_marks_every_call_to_a_deprecated_method(
    shops: Shops, settings_overrides: dict[str, Any]
) -> None:
    order = await shops.place()
    await move_clock(shops, DEGRADATION)
    await get_order(shops, order["id"])
    await get_orders(shops)
    await shops.client.get(shops.path(order["id"]), headers={"Api-Key": ""})  # refused: 401
    await shops.client.post(f"/v1/businesses/{shops.mine.business_id}/orders", json={"fake": True})
    summary = [
        (entry.get("operationId"), entry["status"], entry.get("deprecated"))
        for entry in await logged(shops)
    ]
    second = 410 if settings_overrides["deprecations"] else 200
    assert summary == [
        ("getBusinessOrders", 200, None),
        ("getOrder", 401, MARK),
        ("getOrders", second, MARK),
        ("getOrder", 200, MARK),
    ]


async def view(shops: Shops, order_id: int) -> dict[str, Any]:
    response = await shops.client.get(
        f"{shops.sandbox_orders}/{order_id}", headers=shops.sandbox_headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def call(at: datetime, status: int) -> dict[str, Any]:
    return {
        "at": iso(at),
        "operationId": "getOrder",
        "status": status,
        "replacement": "getBusinessOrders",
        "shutdown": "2027-04-12",
    }


@pytest.mark.rule("R-119")
@pytest.mark.decision(DECISION, "The sandbox order view")
@pytest.mark.parametrize(
    "settings_overrides", [{"deprecations": True, "deprecation_fail_every": 3}]
)
@pytest.mark.usefixtures("wall")
async def test_the_order_view_lists_the_get_order_calls_on_the_order(shops: Shops) -> None:
    order, other = await shops.place(), await shops.place()
    campaign, order_id = shops.mine.campaign_id, order["id"]
    assert "deprecatedCalls" not in await view(shops, order_id)
    before = DEGRADATION - timedelta(hours=1)  # where the wall fixture holds the sandbox clock
    # Every R-072 spelling names the order; the second is before the degradation date.
    assert (await shops.client.get(f"/campaigns/{campaign}/orders/{order_id}")).status_code == 200
    await move_clock(shops, DEGRADATION)
    for path in (
        f"/campaigns/{campaign}/orders/{order_id}.json",
        f"/v2/campaigns/{campaign}/orders/{order_id}",
        f"/v2/campaigns/{campaign}/orders/{order_id}.json",  # the token's third: 410
    ):
        await shops.client.get(path)
    await get_order(shops, other["id"])  # another order's
    await get_orders(shops)  # names no order
    await shops.client.get(shops.path(order_id), headers={"Api-Key": ""})  # refused: 401
    await shops.client.get(shops.path(order_id), headers=shops.other.headers)  # 403
    assert (await view(shops, order_id))["deprecatedCalls"] == [
        call(before, 200),
        call(DEGRADATION, 200),
        call(DEGRADATION, 200),
        call(DEGRADATION, 410),
        call(DEGRADATION, 401),
        call(DEGRADATION, 403),  # another business's key: logged under the path's campaign
    ]
    assert (await view(shops, other["id"]))["deprecatedCalls"] == [call(DEGRADATION, 200)]
