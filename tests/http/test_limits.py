"""Request limits over HTTP (R-083..R-086, C-01, C-02, OQ-15).

The calls go through the real application with a stand-in for the gateway (``partner_probe``):
what is checked here is the limits step: budgets per campaign or business and operation, hourly
windows on the sandbox clock, the headers, the 420 answers and the parallel-request limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.contract import limits
from dbskit.contract.operations import OPERATIONS, Operation
from dbskit.settings import Settings
from tests.conftest import envelope
from tests.http.partner_probe import Gates, install_probe

pytestmark = pytest.mark.rule("R-083", "OQ-15")

KEY = "ACMA:" + "k" * 40 + ":0123abcd"
OTHER_KEY = "ACMA:" + "o" * 40 + ":0123abcd"
ORDER = "/v2/campaigns/{campaign}/orders/{order}"
ORDER_TEMPLATE = "/campaigns/{campaignId}/orders/{orderId}"
CLOCK = "/sandbox/clock"
AT_10_15 = "2099-01-01T10:15:00Z"
UNTIL_11_00 = "Thu, 01 Jan 2099 11:00:00 GMT"
UNTIL_12_00 = "Thu, 01 Jan 2099 12:00:00 GMT"


@pytest.fixture
async def probe(settings: Settings) -> AsyncIterator[tuple[FastAPI, Gates]]:
    app = create_app(settings)
    gates = install_probe(app)
    async with app.router.lifespan_context(app):
        yield app, gates


@pytest.fixture
async def api(probe: tuple[FastAPI, Gates]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=probe[0], raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as http:
        yield http


@pytest.fixture
def gates(probe: tuple[FastAPI, Gates]) -> Gates:
    return probe[1]


async def set_clock(api: httpx.AsyncClient, sandbox_headers: dict[str, str], **body: Any) -> None:
    response = await api.post(CLOCK, json=body, headers=sandbox_headers)
    assert response.status_code == 200, response.text


def get_order(
    api: httpx.AsyncClient, *, campaign: int = 1, key: str | None = KEY, **headers: str
) -> Any:
    if key is not None:
        headers["Api-Key"] = key
    return api.get(ORDER.format(campaign=campaign, order=5), headers=headers)


def limit_headers(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    h = response.headers
    return (
        h.get("X-RateLimit-Resource-Limit"),
        h.get("X-RateLimit-Resource-Remaining"),
        h.get("X-RateLimit-Resource-Until"),
    )


def resource_exceeded(limit: int, resource: str) -> dict[str, Any]:
    return envelope(
        ("METHOD_FAILURE", f"Hit rate limit of {limit} requests per 1 hour for resource {resource}")
    )


@pytest.mark.rule("R-084")
async def test_every_authenticated_answer_carries_the_headers(
    api: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    response = await get_order(api)
    assert response.status_code == 200
    assert limit_headers(response) == ("100000", "99999", UNTIL_11_00)
    # A 4xx answer counts too, and carries the headers (OQ-15).
    failed = await get_order(api, **{"X-Probe-Fail": "1"})
    assert failed.status_code == 400
    assert failed.json() == envelope(("BAD_REQUEST", "probe failure"))
    assert limit_headers(failed) == ("100000", "99998", UNTIL_11_00)


@pytest.mark.rule("R-084")
async def test_unauthenticated_answers_carry_no_headers_and_do_not_count(
    api: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    anonymous = await get_order(api, key=None)
    assert limit_headers(anonymous) == (None, None, None)
    assert limit_headers(await get_order(api)) == ("100000", "99999", UNTIL_11_00)


@pytest.mark.rule("R-085")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 3}}])
async def test_exactly_at_the_limit_then_420(
    api: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    for remaining in ("2", "1", "0"):
        response = await get_order(api)
        assert response.status_code == 200
        assert limit_headers(response) == ("3", remaining, UNTIL_11_00)
    for _ in range(2):
        over = await get_order(api)
        assert over.status_code == 420
        assert over.json() == resource_exceeded(3, ORDER_TEMPLATE)
        assert limit_headers(over) == ("3", "0", UNTIL_11_00)


@pytest.mark.rule("R-085")
@pytest.mark.parametrize(
    "settings_overrides", [{"limit_overrides": {"getOrder": 1, "getOrders": 1}}]
)
async def test_each_campaign_and_operation_has_its_own_budget(api: httpx.AsyncClient) -> None:
    assert (await get_order(api, campaign=1)).status_code == 200
    assert (await get_order(api, campaign=1)).status_code == 420
    assert (await get_order(api, campaign=2)).status_code == 200
    orders = await api.get("/campaigns/1/orders", headers={"Api-Key": KEY})
    assert orders.status_code == 200
    assert limit_headers(orders)[:2] == ("1", "0")


@pytest.mark.rule("R-085", "R-118")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getDeliveryServices": 2}}])
async def test_without_a_campaign_the_budget_is_the_business(api: httpx.AsyncClient) -> None:
    def services(business: int) -> Any:
        return api.get(
            "/v2/delivery/services",
            headers={"Api-Key": KEY, "X-Probe-Business": str(business)},
        )

    assert [(await services(1)).status_code for _ in range(3)] == [200, 200, 420]
    over = await services(1)
    assert over.json() == resource_exceeded(2, "/delivery/services")
    assert (await services(2)).status_code == 200


@pytest.mark.rule("R-085")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 2}}])
async def test_the_window_ends_on_the_hour_of_the_sandbox_clock(
    api: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    assert [(await get_order(api)).status_code for _ in range(3)] == [200, 200, 420]
    await set_clock(api, sandbox_headers, now="2099-01-01T10:59:58Z")
    assert (await get_order(api)).status_code == 420  # still the same window
    await set_clock(api, sandbox_headers, now="2099-01-01T11:00:00Z")
    response = await get_order(api)
    assert response.status_code == 200
    assert limit_headers(response) == ("2", "1", UNTIL_12_00)


@pytest.mark.rule("R-085")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 1}}])
async def test_advancing_the_clock_an_hour_resets_the_budget(
    api: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    assert [(await get_order(api)).status_code for _ in range(2)] == [200, 420]
    await set_clock(api, sandbox_headers, advanceSeconds=3600)
    assert [(await get_order(api)).status_code for _ in range(2)] == [200, 420]


def _call(api: httpx.AsyncClient, operation: Operation) -> Any:
    path = "/v2" + operation.path.format(campaignId=3, orderId=4)
    body = None if operation.method == "GET" else b"{}"
    headers = {"Api-Key": KEY, "Content-Type": "application/json"}
    return api.request(operation.method, path, content=body, headers=headers)


@pytest.mark.rule("C-01")
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026"}])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
async def test_2026_profile_figures(api: httpx.AsyncClient, operation: Operation) -> None:
    expected = {
        "getOrderIdentifiersStatus": limits.SPEC_2026_IDENTIFIERS_STATUS_LIMIT,
        "getDeliveryServices": limits.DELIVERY_SERVICES_HOURLY_LIMIT,
    }.get(operation.operation_id, limits.SPEC_2026_HOURLY_LIMIT)
    response = await _call(api, operation)
    assert response.status_code == 200
    assert limit_headers(response)[:2] == (str(expected), str(expected - 1))


@pytest.mark.rule("C-01")
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
async def test_seed_profile_figures(api: httpx.AsyncClient, operation: Operation) -> None:
    expected = (
        limits.DELIVERY_SERVICES_HOURLY_LIMIT
        if operation.operation_id == "getDeliveryServices"
        else limits.SEED_HOURLY_LIMIT
    )
    response = await _call(api, operation)
    assert limit_headers(response)[:2] == (str(expected), str(expected - 1))


async def hold(
    api: httpx.AsyncClient, gates: Gates, count: int, *, gate: str = "g", **kwargs: Any
) -> list[asyncio.Task[httpx.Response]]:
    tasks = [
        asyncio.create_task(get_order(api, **{"X-Probe-Hold": gate}, **kwargs))
        for _ in range(count)
    ]
    await gates.until_waiting(gate, count)
    return tasks


async def release(gates: Gates, tasks: list[asyncio.Task[httpx.Response]], gate: str = "g") -> None:
    gates.opened[gate].set()
    assert [(await task).status_code for task in tasks] == [200] * len(tasks)


def parallel_exceeded(limit: int) -> dict[str, Any]:
    return envelope(("METHOD_FAILURE", f"Hit rate limit of {limit} parallel requests"))


@pytest.mark.rule("R-086")
async def test_a_third_parallel_request_is_420(
    api: httpx.AsyncClient, gates: Gates, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    held = await hold(api, gates, 2)
    third = await get_order(api)
    assert third.status_code == 420
    assert third.json() == parallel_exceeded(2)
    assert limit_headers(third) == ("100000", "99998", UNTIL_11_00)
    assert (await get_order(api, key=OTHER_KEY)).status_code == 200  # per token
    await release(gates, held)
    after = await get_order(api)
    assert after.status_code == 200
    assert limit_headers(after)[1] == "99996"  # the 420 spent nothing; the other key's call did


@pytest.mark.rule("R-086", "OQ-15")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 3}}])
async def test_a_parallel_420_spends_no_budget(api: httpx.AsyncClient, gates: Gates) -> None:
    held = await hold(api, gates, 2)
    assert (await get_order(api)).status_code == 420
    await release(gates, held)
    last = await get_order(api)
    assert (last.status_code, limit_headers(last)[1]) == (200, "0")
    assert (await get_order(api)).json() == resource_exceeded(3, ORDER_TEMPLATE)


@pytest.mark.rule("C-02", "R-086")
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026"}])
async def test_2026_profile_allows_6_parallel_on_the_listed_methods(
    api: httpx.AsyncClient, gates: Gates
) -> None:
    held = await hold(api, gates, 6)
    seventh = await get_order(api)
    assert seventh.status_code == 420
    assert seventh.json() == parallel_exceeded(6)
    status = await api.put(
        "/v2/campaigns/1/orders/5/status",
        content=b"{}",
        headers={"Api-Key": KEY, "Content-Type": "application/json"},
    )
    assert status.status_code == 420
    assert status.json() == parallel_exceeded(2)  # updateOrderStatus keeps the default 2
    await release(gates, held)


@pytest.mark.rule("R-086")
@pytest.mark.parametrize("settings_overrides", [{"parallel_limit": 3}])
async def test_parallel_limit_is_configurable(api: httpx.AsyncClient, gates: Gates) -> None:
    held = await hold(api, gates, 3)
    assert (await get_order(api)).json() == parallel_exceeded(3)
    await release(gates, held)


@pytest.mark.rule("R-086")
async def test_a_slot_is_given_back_when_the_handler_fails(api: httpx.AsyncClient) -> None:
    for _ in range(4):
        assert (await get_order(api, **{"X-Probe-Fail": "1"})).status_code == 400
    held_free = await asyncio.gather(get_order(api), get_order(api))
    assert [r.status_code for r in held_free] == [200, 200]


@pytest.mark.redis
@pytest.mark.rule("R-085")
async def test_instances_sharing_redis_share_the_budget(settings: Settings, redis_url: str) -> None:
    shared = settings.model_copy(
        update={"redis_url": redis_url, "limit_overrides": {"getOrder": 4}}
    )
    apps = [create_app(shared), create_app(shared)]
    for app in apps:
        install_probe(app)
    async with (
        apps[0].router.lifespan_context(apps[0]),
        apps[1].router.lifespan_context(apps[1]),
    ):
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            for app in apps
        ]
        statuses = [(await get_order(clients[i % 2])).status_code for i in range(6)]
        for client in clients:
            await client.aclose()
    assert statuses == [200, 200, 200, 200, 420, 420]


@pytest.mark.rule("R-082")
async def test_unreachable_redis_is_503(settings: Settings) -> None:
    from tests.e2e.server import free_port

    broken = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    app = create_app(broken)
    install_probe(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await get_order(client)
    assert response.status_code == 503
    assert response.json() == envelope(
        ("SERVICE_UNAVAILABLE", "Service temporarily unavailable. Please, try again later")
    )
