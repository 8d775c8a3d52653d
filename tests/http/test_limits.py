"""Request limits over HTTP (R-083..R-086, C-01, C-02, OQ-15).

The calls go through the real application (authentication, scopes, campaign access, limits) with
probe handlers in front of the real ones (``partner_probe``), so that a test can hold a call or
make it fail: budgets per campaign or business and operation, hourly windows on the sandbox clock,
the headers, the 420 answers and the parallel-request limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.contract import limits
from dbskit.contract.operations import OPERATIONS, Operation
from dbskit.settings import Settings
from tests.conftest import envelope
from tests.factories import Seller, create_campaign, create_seller, create_token
from tests.http.partner_probe import Gates, install_probe, probe_client

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


@pytest.fixture
async def seller(api: httpx.AsyncClient) -> Seller:
    return await create_seller(api)


async def set_clock(api: httpx.AsyncClient, sandbox_headers: dict[str, str], **body: Any) -> None:
    response = await api.post(CLOCK, json=body, headers=sandbox_headers)
    assert response.status_code == 200, response.text


def get_order(
    api: httpx.AsyncClient,
    seller: Seller,
    *,
    campaign: int | None = None,
    key: str | None = "",
    headers: Mapping[str, str] | None = None,
) -> Any:
    """getOrder on the seller's campaign with the seller's key (``key=None``: no key at all)."""
    sent = dict(headers or {})
    if key is not None:
        sent["Api-Key"] = key or seller.api_key
    path = ORDER.format(campaign=campaign or seller.campaign_id, order=5)
    return api.get(path, headers=sent)


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


@pytest.mark.rule("R-083", "R-084", "OQ-15")
@pytest.mark.decision("Limits")
async def test_every_authenticated_answer_carries_the_headers(
    api: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    response = await get_order(api, seller)
    assert response.status_code == 200
    assert limit_headers(response) == ("100000", "99999", UNTIL_11_00)
    # A 4xx answer of the handler counts too, and carries the headers (OQ-15).
    failed = await get_order(api, seller, headers={"X-Probe-Fail": "1"})
    assert failed.status_code == 400
    assert failed.json() == envelope(("BAD_REQUEST", "probe failure"))
    assert limit_headers(failed) == ("100000", "99998", UNTIL_11_00)


@pytest.mark.rule("R-075", "R-078", "R-084", "OQ-15")
@pytest.mark.decision("Limits")
async def test_calls_refused_by_the_gateway_carry_no_headers_and_do_not_count(
    api: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    anonymous = await get_order(api, seller, key=None)
    assert anonymous.status_code == 401
    assert anonymous.json() == envelope(("UNAUTHORIZED", "Credentials are not specified"))
    assert limit_headers(anonymous) == (None, None, None)
    stranger = await create_seller(api)
    foreign = await get_order(api, stranger, campaign=seller.campaign_id)
    assert foreign.status_code == 403
    assert limit_headers(foreign) == (None, None, None)
    assert limit_headers(await get_order(api, seller)) == ("100000", "99999", UNTIL_11_00)


@pytest.mark.rule("R-083", "R-085")
@pytest.mark.decision("Limits")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 3}}])
async def test_exactly_at_the_limit_then_420(
    api: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    for remaining in ("2", "1", "0"):
        response = await get_order(api, seller)
        assert response.status_code == 200
        assert limit_headers(response) == ("3", remaining, UNTIL_11_00)
    for _ in range(2):
        over = await get_order(api, seller)
        assert over.status_code == 420
        assert over.json() == resource_exceeded(3, ORDER_TEMPLATE)
        assert limit_headers(over) == ("3", "0", UNTIL_11_00)


@pytest.mark.rule("R-083", "R-085", "OQ-15")
@pytest.mark.parametrize(
    "settings_overrides", [{"limit_overrides": {"getOrder": 1, "getOrders": 1}}]
)
async def test_each_campaign_and_operation_has_its_own_budget(
    api: httpx.AsyncClient, seller: Seller
) -> None:
    second = (await create_campaign(api, businessId=seller.business_id))["campaignId"]
    assert (await get_order(api, seller)).status_code == 200
    assert (await get_order(api, seller)).status_code == 420
    assert (await get_order(api, seller, campaign=second)).status_code == 200
    orders = await api.get(f"/campaigns/{seller.campaign_id}/orders", headers=seller.headers)
    assert orders.status_code == 200
    assert limit_headers(orders)[:2] == ("1", "0")
    # Every key of the business spends the campaign's budget.
    other = await create_token(api, seller.business_id)
    again = await get_order(api, seller, key=other["apiKey"])
    assert again.json() == resource_exceeded(1, ORDER_TEMPLATE)


@pytest.mark.rule("R-083", "R-085", "R-118", "OQ-15")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getDeliveryServices": 2}}])
async def test_without_a_campaign_the_budget_is_the_business(
    api: httpx.AsyncClient, seller: Seller
) -> None:
    other_business = await create_seller(api)

    def services(who: Seller) -> Any:
        return api.get("/v2/delivery/services", headers=who.headers)

    assert [(await services(seller)).status_code for _ in range(3)] == [200, 200, 420]
    over = await services(seller)
    assert over.json() == resource_exceeded(2, "/delivery/services")
    assert (await services(other_business)).status_code == 200


@pytest.mark.rule("R-085")
@pytest.mark.decision("Limits")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 2}}])
async def test_the_window_ends_on_the_hour_of_the_sandbox_clock(
    api: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    assert [(await get_order(api, seller)).status_code for _ in range(3)] == [200, 200, 420]
    await set_clock(api, sandbox_headers, now="2099-01-01T10:59:58Z")
    assert (await get_order(api, seller)).status_code == 420  # still the same window
    await set_clock(api, sandbox_headers, now="2099-01-01T11:00:00Z")
    response = await get_order(api, seller)
    assert response.status_code == 200
    assert limit_headers(response) == ("2", "1", UNTIL_12_00)


@pytest.mark.rule("R-085")
@pytest.mark.decision("Limits")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 1}}])
async def test_advancing_the_clock_an_hour_resets_the_budget(
    api: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    assert [(await get_order(api, seller)).status_code for _ in range(2)] == [200, 420]
    await set_clock(api, sandbox_headers, advanceSeconds=3600)
    assert [(await get_order(api, seller)).status_code for _ in range(2)] == [200, 420]


# Methods only the 2026 spec has keep its figures under both profiles.
SPEC_ONLY_FIGURES = {
    "getBusinessOrders": limits.BUSINESS_ORDERS_HOURLY_LIMIT,
    "acceptOrderCancellation": limits.ACCEPT_CANCELLATION_HOURLY_LIMIT,
}


def _call(api: httpx.AsyncClient, seller: Seller, operation: Operation) -> Any:
    path = operation.documented_path.format(
        campaignId=seller.campaign_id, orderId=4, businessId=seller.business_id
    )
    body = None if operation.method == "GET" else b"{}"
    headers = {**seller.headers, "Content-Type": "application/json"}
    return api.request(operation.method, path, content=body, headers=headers)


@pytest.mark.rule("R-083", "C-01")
# Deprecations off: getOrder and getOrders must answer whatever day the wall clock shows.
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026", "deprecations": False}])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
async def test_2026_profile_figures(
    api: httpx.AsyncClient, seller: Seller, operation: Operation
) -> None:
    expected = {
        "getOrderIdentifiersStatus": limits.SPEC_2026_IDENTIFIERS_STATUS_LIMIT,
        "getDeliveryServices": limits.DELIVERY_SERVICES_HOURLY_LIMIT,
        **SPEC_ONLY_FIGURES,
    }.get(operation.operation_id, limits.SPEC_2026_HOURLY_LIMIT)
    response = await _call(api, seller, operation)
    assert response.status_code == 200
    assert limit_headers(response)[:2] == (str(expected), str(expected - 1))


@pytest.mark.rule("R-083", "C-01")
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
async def test_seed_profile_figures(
    api: httpx.AsyncClient, seller: Seller, operation: Operation
) -> None:
    expected = {
        "getDeliveryServices": limits.DELIVERY_SERVICES_HOURLY_LIMIT,
        **SPEC_ONLY_FIGURES,
    }.get(operation.operation_id, limits.SEED_HOURLY_LIMIT)
    response = await _call(api, seller, operation)
    assert response.status_code == 200
    assert limit_headers(response)[:2] == (str(expected), str(expected - 1))


async def hold(
    api: httpx.AsyncClient, gates: Gates, seller: Seller, count: int, *, gate: str = "g"
) -> list[asyncio.Task[httpx.Response]]:
    tasks = [
        asyncio.create_task(get_order(api, seller, headers={"X-Probe-Hold": gate}))
        for _ in range(count)
    ]
    await gates.until_waiting(gate, count)
    return tasks


async def release(gates: Gates, tasks: list[asyncio.Task[httpx.Response]], gate: str = "g") -> None:
    gates.opened[gate].set()
    assert [(await task).status_code for task in tasks] == [200] * len(tasks)


def parallel_exceeded(limit: int) -> dict[str, Any]:
    return envelope(("METHOD_FAILURE", f"Hit rate limit of {limit} parallel requests"))


@pytest.mark.rule("R-086", "OQ-15")
async def test_a_third_parallel_request_is_420(
    api: httpx.AsyncClient, gates: Gates, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await set_clock(api, sandbox_headers, now=AT_10_15)
    held = await hold(api, gates, seller, 2)
    third = await get_order(api, seller)
    assert third.status_code == 420
    assert third.json() == parallel_exceeded(2)
    assert limit_headers(third) == ("100000", "99998", UNTIL_11_00)
    other = await create_token(api, seller.business_id)
    assert (await get_order(api, seller, key=other["apiKey"])).status_code == 200  # per token
    await release(gates, held)
    after = await get_order(api, seller)
    assert after.status_code == 200
    assert limit_headers(after)[1] == "99996"  # the 420 spent nothing; the other key's call did


@pytest.mark.rule("R-086", "OQ-15")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 3}}])
async def test_a_parallel_420_spends_no_budget(
    api: httpx.AsyncClient, gates: Gates, seller: Seller
) -> None:
    held = await hold(api, gates, seller, 2)
    assert (await get_order(api, seller)).status_code == 420
    await release(gates, held)
    last = await get_order(api, seller)
    assert (last.status_code, limit_headers(last)[1]) == (200, "0")
    assert (await get_order(api, seller)).json() == resource_exceeded(3, ORDER_TEMPLATE)


@pytest.mark.rule("R-086", "C-02")
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026", "deprecations": False}])
async def test_2026_profile_allows_6_parallel_on_the_listed_methods(
    api: httpx.AsyncClient, gates: Gates, seller: Seller
) -> None:
    held = await hold(api, gates, seller, 6)
    seventh = await get_order(api, seller)
    assert seventh.status_code == 420
    assert seventh.json() == parallel_exceeded(6)
    status = await api.put(
        f"/v2/campaigns/{seller.campaign_id}/orders/5/status",
        content=b"{}",
        headers={**seller.headers, "Content-Type": "application/json"},
    )
    assert status.status_code == 420
    assert status.json() == parallel_exceeded(2)  # updateOrderStatus keeps the default 2
    await release(gates, held)


@pytest.mark.rule("R-086")
@pytest.mark.decision("Limits")
@pytest.mark.parametrize("settings_overrides", [{"parallel_limit": 3}])
async def test_parallel_limit_is_configurable(
    api: httpx.AsyncClient, gates: Gates, seller: Seller
) -> None:
    held = await hold(api, gates, seller, 3)
    assert (await get_order(api, seller)).json() == parallel_exceeded(3)
    await release(gates, held)


@pytest.mark.rule("R-086")
@pytest.mark.decision("Limits")
async def test_a_slot_is_given_back_when_the_handler_fails(
    api: httpx.AsyncClient, seller: Seller
) -> None:
    for _ in range(4):
        assert (await get_order(api, seller, headers={"X-Probe-Fail": "1"})).status_code == 400
    both = await asyncio.gather(get_order(api, seller), get_order(api, seller))
    assert [r.status_code for r in both] == [200, 200]


@pytest.mark.rule("R-085")
@pytest.mark.decision("Limits")
@pytest.mark.redis
async def test_instances_sharing_redis_share_the_budget(settings: Settings, redis_url: str) -> None:
    shared = settings.model_copy(
        update={"redis_url": redis_url, "limit_overrides": {"getOrder": 4}}
    )
    async with probe_client(shared) as first, probe_client(shared) as second:
        seller = await create_seller(first)
        statuses = [(await get_order((first, second)[i % 2], seller)).status_code for i in range(6)]
    assert statuses == [200, 200, 200, 200, 420, 420]


@pytest.mark.rule("R-082")
@pytest.mark.decision("Limits")
async def test_unreachable_redis_is_503(settings: Settings) -> None:
    from tests.e2e.server import free_port

    broken = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    async with probe_client(broken) as client:
        seller = await create_seller(client)
        response = await get_order(client, seller)
    assert response.status_code == 503
    assert response.json() == envelope(
        ("SERVICE_UNAVAILABLE", "Service temporarily unavailable. Please, try again later")
    )
