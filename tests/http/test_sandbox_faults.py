"""/sandbox/faults: rules that fault chosen Partner API calls (docs/decisions.md "Fault
injection"), over HTTP through the real gateway, limits and query log."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Scope

from dbskit.contract.sandbox_faults import FAULT_RULES_MAX
from dbskit.market.domain.rate_limits import LIMIT_HEADER, REMAINING_HEADER, UNTIL_HEADER
from dbskit.market.sandbox.faults_layer import CLOSE_EXTENSION
from tests.conftest import envelope
from tests.factories import SANDBOX, Seller, create_seller, create_token

FAULTS = "/sandbox/faults"
ORDER = "/v2/campaigns/{campaign}/orders/5"
ORDER_TEMPLATE = "/campaigns/{campaignId}/orders/{orderId}"
NOT_FOUND_ORDER = 404  # getOrder of an order that does not exist: the call's usual answer
LIMIT_HEADERS = (LIMIT_HEADER.lower(), UNTIL_HEADER.lower(), REMAINING_HEADER.lower())
RETRY_LATER = "Service temporarily unavailable. Please, try again later"


async def add_rule(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post(FAULTS, json=body, headers=SANDBOX)
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()
    return rule


def get_order(client: httpx.AsyncClient, seller: Seller, **headers: str) -> Any:
    path = ORDER.format(campaign=seller.campaign_id)
    return client.get(path, headers={**seller.headers, **headers})


async def statuses(client: httpx.AsyncClient, seller: Seller, calls: int) -> list[int]:
    return [(await get_order(client, seller)).status_code for _ in range(calls)]


async def rules(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get(FAULTS, headers=SANDBOX)
    assert response.status_code == 200
    listed: list[dict[str, Any]] = response.json()["rules"]
    return listed


@pytest.mark.decision("Fault injection")
@pytest.mark.parametrize("settings_overrides", [{"limit_overrides": {"getOrder": 1}}])
async def test_injected_hourly_420_is_the_limiters_own_and_spends_nothing(
    client: httpx.AsyncClient,
) -> None:
    counted, faulted = await create_seller(client), await create_seller(client)
    assert (await get_order(client, counted)).status_code == NOT_FOUND_ORDER
    real = await get_order(client, counted)  # the budget of one call is spent: the limiter's 420
    await add_rule(
        client,
        operationId="getOrder",
        campaignId=faulted.campaign_id,
        fault="HOURLY_LIMIT",
        next=1,
    )
    injected = await get_order(client, faulted)
    assert (injected.status_code, real.status_code) == (420, 420)
    assert injected.json() == real.json()
    assert injected.json() == envelope(
        ("METHOD_FAILURE", f"Hit rate limit of 1 requests per 1 hour for resource {ORDER_TEMPLATE}")
    )
    assert [injected.headers[name] for name in LIMIT_HEADERS] == [
        real.headers[name] for name in LIMIT_HEADERS
    ]
    assert injected.headers[REMAINING_HEADER] == "0"
    after = await get_order(client, faulted)  # the injected 420 spent none of the budget
    assert (after.status_code, after.headers[REMAINING_HEADER]) == (NOT_FOUND_ORDER, "0")


@pytest.mark.decision("Fault injection")
async def test_injected_parallel_420_names_the_parallel_limit(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    seller = await create_seller(client)
    assert (await get_order(client, seller)).status_code == NOT_FOUND_ORDER
    await add_rule(client, operationId="getOrder", fault="PARALLEL_LIMIT", next=1)
    response = await get_order(client, seller)
    budget = app.state.runtime.limiter.budget("getOrder")
    assert (response.status_code, response.json()) == (
        420,
        envelope(("METHOD_FAILURE", f"Hit rate limit of {budget.parallel} parallel requests")),
    )
    # As the limiter's: the window's real count (one call so far), not spent by the 420.
    assert response.headers[LIMIT_HEADER] == str(budget.per_window)
    assert response.headers[REMAINING_HEADER] == str(budget.per_window - 1)


@pytest.mark.decision("Fault injection")
async def test_next_n_faults_exactly_n_calls_then_stops(client: httpx.AsyncClient) -> None:
    seller = await create_seller(client)
    rule = await add_rule(client, operationId="getOrder", fault="SERVICE_UNAVAILABLE", next=2)
    assert await statuses(client, seller, 4) == [503, 503, NOT_FOUND_ORDER, NOT_FOUND_ORDER]
    response = await get_order(client, seller)
    assert response.status_code == NOT_FOUND_ORDER
    await add_rule(client, operationId="getOrder", fault="SERVICE_UNAVAILABLE", next=1)
    response = await get_order(client, seller)
    assert (response.status_code, response.json()) == (
        503,
        envelope(("SERVICE_UNAVAILABLE", RETRY_LATER)),
    )
    assert LIMIT_HEADER.lower() not in response.headers  # answered before the limits, as theirs
    [first, second] = await rules(client)
    assert (first["id"], first["next"], first["calls"], first["injected"]) == (rule["id"], 2, 6, 2)
    assert (second["calls"], second["injected"]) == (1, 1)


@pytest.mark.decision("Fault injection")
async def test_every_nth_call_gets_the_500_with_a_request_id(client: httpx.AsyncClient) -> None:
    seller = await create_seller(client)
    await add_rule(client, operationId="getOrder", fault="INTERNAL_ERROR", every=3)
    assert await statuses(client, seller, 6) == [404, 404, 500, 404, 404, 500]
    response = await get_order(client, seller, **{"X-Request-Id": "trace-7"})
    assert response.status_code == 404
    await get_order(client, seller)
    response = await get_order(client, seller, **{"X-Request-Id": "trace-9"})
    assert response.status_code == 500
    assert response.json() == envelope(("INTERNAL_ERROR", "Internal error; request id trace-9"))
    assert response.headers["x-request-id"] == "trace-9"
    [rule] = await rules(client)
    assert (rule["every"], rule["calls"], rule["injected"]) == (3, 9, 3)


@pytest.mark.decision("Fault injection")
async def test_a_share_faults_the_same_calls_for_the_same_seed(client: httpx.AsyncClient) -> None:
    seller = await create_seller(client)
    runs = []
    for _ in range(2):
        rule = await add_rule(
            client, operationId="getOrder", fault="SERVICE_UNAVAILABLE", share=0.5, seed=20261207
        )
        runs.append(await statuses(client, seller, 40))
        [listed] = await rules(client)
        assert (listed["share"], listed["seed"], listed["calls"]) == (0.5, 20261207, 40)
        assert listed["injected"] == runs[-1].count(503)
        assert (await client.delete(f"{FAULTS}/{rule['id']}", headers=SANDBOX)).json() == {
            "deleted": 1
        }
    assert runs[0] == runs[1]
    assert 0 < runs[0].count(503) < 40
    drawn = await add_rule(client, operationId="getOrder", fault="LATENCY", latencyMs=1, share=1)
    assert isinstance(drawn["seed"], int)  # none given: one is drawn and shown


@pytest.mark.decision("Fault injection")
async def test_a_rule_by_token_or_campaign_faults_only_those_calls(
    client: httpx.AsyncClient,
) -> None:
    seller, other = await create_seller(client), await create_seller(client)
    second = await create_token(client, seller.business_id)
    await add_rule(
        client,
        operationId="getOrder",
        tokenId=second["tokenId"],
        fault="SERVICE_UNAVAILABLE",
        every=1,
    )
    await add_rule(
        client,
        operationId="getOrders",
        campaignId=other.campaign_id,
        fault="INTERNAL_ERROR",
        every=1,
    )
    assert (await get_order(client, seller)).status_code == 404  # the seller's first key
    path = ORDER.format(campaign=seller.campaign_id)
    assert (await client.get(path, headers={"Api-Key": second["apiKey"]})).status_code == 503
    orders = "/v2/campaigns/{}/orders"
    mine = await client.get(orders.format(seller.campaign_id), headers=seller.headers)
    theirs = await client.get(orders.format(other.campaign_id), headers=other.headers)
    assert (mine.status_code, theirs.status_code) == (200, 500)


@pytest.mark.decision("Fault injection")
async def test_calls_the_gateway_refuses_are_not_faulted(client: httpx.AsyncClient) -> None:
    seller = await create_seller(client)
    await add_rule(client, operationId="getOrder", fault="SERVICE_UNAVAILABLE", every=1)
    response = await get_order(client, seller, **{"Api-Key": "ACMA:wrong"})
    assert response.status_code == 401
    [rule] = await rules(client)
    assert rule["calls"] == 0


@pytest.mark.decision("Fault injection")
async def test_latency_delays_the_call_which_is_then_answered(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    seller = await create_seller(client)
    await add_rule(client, operationId="getOrder", fault="LATENCY", latencyMs=1500, next=1)
    assert await statuses(client, seller, 2) == [404, 404]
    assert slept == [1.5]


@pytest.mark.decision("Fault injection")
async def test_the_query_log_marks_faulted_calls(client: httpx.AsyncClient) -> None:
    seller = await create_seller(client)
    rule = await add_rule(client, operationId="getOrder", fault="SERVICE_UNAVAILABLE", next=1)
    assert await statuses(client, seller, 2) == [503, 404]
    response = await client.get("/sandbox/requests", headers=SANDBOX)
    latest, faulted = response.json()["requests"][:2]
    assert (faulted["status"], faulted["injectedFault"]) == (
        503,
        {"ruleId": rule["id"], "fault": "SERVICE_UNAVAILABLE"},
    )
    assert (latest["status"], latest.get("injectedFault")) == (404, None)


@pytest.mark.decision("Fault injection")
async def test_a_dropped_connection_sends_nothing_and_is_logged(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    seller = await create_seller(client)
    rule = await add_rule(client, operationId="getOrder", fault="DROP_CONNECTION", next=1)
    closed: list[bool] = []
    sent: list[Message] = []
    disconnected = False

    def close() -> None:
        nonlocal disconnected
        closed.append(True)
        disconnected = True

    async def receive() -> Message:
        if disconnected:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": ORDER.format(campaign=seller.campaign_id),
        "raw_path": ORDER.format(campaign=seller.campaign_id).encode(),
        "query_string": b"",
        "headers": [(b"api-key", seller.api_key.encode()), (b"host", b"dbskit.test")],
        "server": ("dbskit.test", 80),
        "client": ("127.0.0.1", 5000),
        "extensions": {CLOSE_EXTENSION: {"close": close}},
    }
    await app(scope, receive, send)
    assert (closed, sent) == ([True], [])
    response = await client.get("/sandbox/requests", headers=SANDBOX)
    [entry] = response.json()["requests"]
    assert (entry["status"], entry["injectedFault"]) == (
        0,
        {"ruleId": rule["id"], "fault": "DROP_CONNECTION"},
    )


@pytest.mark.decision("Fault injection")
async def test_rules_are_listed_and_cleared(client: httpx.AsyncClient) -> None:
    seller = await create_seller(client)
    first = await add_rule(client, operationId="getOrder", fault="SERVICE_UNAVAILABLE", every=1)
    second = await add_rule(client, operationId="getOrders", fault="INTERNAL_ERROR", every=2)
    assert [rule["id"] for rule in await rules(client)] == [first["id"], second["id"]]
    assert first == {
        "id": first["id"],
        "operationId": "getOrder",
        "fault": "SERVICE_UNAVAILABLE",
        "every": 1,
        "calls": 0,
        "injected": 0,
        "createdAt": first["createdAt"],
    }
    response = await client.delete(f"{FAULTS}/{first['id']}", headers=SANDBOX)
    assert (response.status_code, response.json()) == (200, {"deleted": 1})
    assert (await get_order(client, seller)).status_code == 404
    response = await client.delete(f"{FAULTS}/{first['id']}", headers=SANDBOX)
    assert (response.status_code, response.json()) == (
        404,
        envelope(("NOT_FOUND", f"Fault rule not found: '{first['id']}'")),
    )
    response = await client.delete(FAULTS, headers=SANDBOX)
    assert (response.status_code, response.json()) == (200, {"deleted": 1})
    assert await rules(client) == []


def _bad(message: str) -> dict[str, Any]:
    return envelope(("BAD_REQUEST", message))


@pytest.mark.decision("Fault injection")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"operationId": "getOrder", "fault": "SERVICE_UNAVAILABLE"},
            "Exactly one of fields next, every and share is required",
            id="no-schedule",
        ),
        pytest.param(
            {"operationId": "getOrder", "fault": "SERVICE_UNAVAILABLE", "next": 1, "every": 2},
            "Exactly one of fields next, every and share is required",
            id="two-schedules",
        ),
        pytest.param(
            {"operationId": "getOrder", "fault": "LATENCY", "next": 1},
            "Field latencyMs is required with fault LATENCY and only with it",
            id="latency-without-ms",
        ),
        pytest.param(
            {"operationId": "getOrder", "fault": "SERVICE_UNAVAILABLE", "next": 1, "seed": 3},
            "Field seed is for a share only",
            id="seed-without-share",
        ),
        pytest.param(
            {
                "operationId": "getDeliveryServices",
                "campaignId": 5,
                "fault": "LATENCY",
                "latencyMs": 5,
                "every": 1,
            },
            "Field campaignId: operation getDeliveryServices has no campaign in its path",
            id="campaign-of-a-business-method",
        ),
    ],
)
async def test_bad_rules_are_400(
    client: httpx.AsyncClient, body: dict[str, Any], expected: str
) -> None:
    response = await client.post(FAULTS, json=body, headers=SANDBOX)
    assert (response.status_code, response.json()) == (400, _bad(expected))
    assert await rules(client) == []


@pytest.mark.decision("Fault injection")
async def test_bad_fields_are_400_naming_the_field(client: httpx.AsyncClient) -> None:
    body = {"operationId": "getOrderz", "fault": "SERVICE_UNAVAILABLE", "next": 1}
    response = await client.post(FAULTS, json=body, headers=SANDBOX)
    assert (response.status_code, response.json()) == (
        400,
        _bad("Value of field operationId is not an operationId of the Partner API"),
    )
    body = {"operationId": "getOrder", "fault": "SERVICE_UNAVAILABLE", "share": 1.5}
    response = await client.post(FAULTS, json=body, headers=SANDBOX)
    assert (response.status_code, response.json()) == (
        400,
        _bad("Value / length of field share (1.5) must be less than or equal to 1"),
    )


@pytest.mark.decision("Fault injection")
async def test_unknown_campaign_or_token_is_404(client: httpx.AsyncClient) -> None:
    body = {"operationId": "getOrder", "fault": "INTERNAL_ERROR", "every": 1}
    response = await client.post(FAULTS, json={**body, "campaignId": 99}, headers=SANDBOX)
    assert (response.status_code, response.json()) == (
        404,
        envelope(("NOT_FOUND", "Campaign not found: '99'")),
    )
    response = await client.post(FAULTS, json={**body, "tokenId": 9999}, headers=SANDBOX)
    assert (response.status_code, response.json()) == (
        404,
        envelope(("NOT_FOUND", "Token not found")),
    )


@pytest.mark.decision("Fault injection")
async def test_at_most_the_cap_of_rules(client: httpx.AsyncClient) -> None:
    body = {"operationId": "getOrder", "fault": "INTERNAL_ERROR", "next": 1}
    for _ in range(FAULT_RULES_MAX):
        await add_rule(client, **body)
    response = await client.post(FAULTS, json=body, headers=SANDBOX)
    assert (response.status_code, response.json()) == (
        400,
        _bad(f"At most {FAULT_RULES_MAX} fault rules at once: clear some first"),
    )


@pytest.mark.decision("Fault injection")
async def test_faults_need_the_sandbox_token(client: httpx.AsyncClient) -> None:
    for call in (client.get, client.delete):
        response: httpx.Response = await call(FAULTS)
        assert response.status_code == 401
