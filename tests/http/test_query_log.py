"""The query log (the cabinet's "Query log"; R-111 keeps it 10 days) and GET /sandbox/requests.

Calls go through the real application (gateway, limits, query log) with probe handlers in front
of the real ones (``partner_probe``), so the logged answers do not depend on what a method does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.contract import limits
from dbskit.database.db import Database
from dbskit.market.domain.query_log import CapturedCall
from dbskit.market.runtime import Runtime
from dbskit.market.storage.tables import query_log
from dbskit.settings import Settings
from tests.conftest import envelope
from tests.factories import Seller, create_campaign, create_seller
from tests.http.partner_probe import install_probe, probe_client
from tests.orders_support import freeze_clock

REQUESTS = "/sandbox/requests"
BODY = '{"items":[{"id":1,"codes":["KEY-1"]}]}'
DELIVER = "/v2/campaigns/{campaign}/orders/9/deliverDigitalGoods.json"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    install_probe(application)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def seller(client: httpx.AsyncClient) -> Seller:
    return await create_seller(client)


def deliver(
    client: httpx.AsyncClient,
    seller: Seller,
    *,
    campaign: int | None = None,
    query: str = "trace=1",
    headers: Mapping[str, str] | None = None,
) -> Any:
    return client.post(
        DELIVER.format(campaign=campaign or seller.campaign_id) + "?" + query,
        content=BODY.encode(),
        headers={**seller.headers, "Content-Type": "application/json", **(headers or {})},
    )


async def logged(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(REQUESTS, params=params, headers=sandbox_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def normalised(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with the values that change from run to run replaced by placeholders."""
    entry = dict(entry, id=type(entry["id"]).__name__, time="<time>")
    for side in ("request", "response"):
        headers = dict(entry[side]["headers"])
        for name in ("content-length", "x-ratelimit-resource-until"):
            if name in headers:
                headers[name] = "<" + name + ">"
        entry[side] = dict(entry[side], headers=headers)
    return entry


@pytest.mark.decision("Query log")
async def test_a_call_is_logged_with_credentials_redacted(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    response = await deliver(client, seller, headers={"Authorization": "Bearer y0_secret"})
    assert response.status_code == 200
    page = await logged(client, sandbox_headers)
    assert page["paging"] == {}
    [entry] = page["requests"]
    answer = json.dumps({"status": "OK", "echo": BODY})
    assert normalised(entry) == {
        "id": "int",
        "time": "<time>",
        "method": "POST",
        "path": DELIVER.format(campaign=seller.campaign_id),
        "query": "trace=1",
        "status": 200,
        "operationId": "provideOrderDigitalCodes",
        "campaignId": seller.campaign_id,
        "businessId": seller.business_id,
        "orderId": 9,  # the order the path names
        "request": {
            "headers": {
                "host": "dbskit.test",
                "accept": "*/*",
                "accept-encoding": "gzip, deflate",
                "connection": "keep-alive",
                "user-agent": f"python-httpx/{httpx.__version__}",
                "api-key": "***",
                "content-type": "application/json",
                "authorization": "***",
                "content-length": "<content-length>",
            },
            "body": BODY,
            "bodySize": len(BODY),
            "bodyTruncated": False,
        },
        "response": {
            "headers": {
                "content-length": "<content-length>",
                "content-type": "application/json",
                "x-ratelimit-resource-limit": "100000",
                "x-ratelimit-resource-until": "<x-ratelimit-resource-until>",
                "x-ratelimit-resource-remaining": "99999",
            },
            "body": answer,
            "bodySize": len(answer),
            "bodyTruncated": False,
        },
    }
    assert seller.api_key not in str(page) and "y0_secret" not in str(page)


@pytest.mark.decision("Query log")
async def test_time_is_the_sandbox_clock(
    app: FastAPI,
    client: httpx.AsyncClient,
    seller: Seller,
    sandbox_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wall = freeze_clock(app, monkeypatch)
    moment = datetime.fromisoformat("2099-03-01T12:00:00Z")
    await client.post("/sandbox/clock", json={"now": moment.isoformat()}, headers=sandbox_headers)
    wall.moment += timedelta(seconds=7)
    await deliver(client, seller)
    [entry] = (await logged(client, sandbox_headers))["requests"]
    assert datetime.fromisoformat(entry["time"]) == moment + timedelta(seconds=7)


@pytest.mark.rule("R-075", "R-082")
@pytest.mark.decision("Query log")
async def test_refused_calls_are_logged_but_sandbox_calls_are_not(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await deliver(client, seller, headers={"X-Probe-Fail": "1"})
    unauthenticated = f"/campaigns/{seller.campaign_id}/orders/9"
    await client.get(unauthenticated)
    await client.get("/v2/no/such/thing", headers=seller.headers)
    await client.get("/sandbox/clock", headers=sandbox_headers)
    entries = (await logged(client, sandbox_headers))["requests"]
    summary = [
        (e["method"], e["path"], e["status"], e.get("operationId"), e.get("campaignId"))
        for e in entries
    ]
    assert summary == [
        ("GET", "/v2/no/such/thing", 404, None, None),
        ("GET", unauthenticated, 401, "getOrder", seller.campaign_id),
        (
            "POST",
            DELIVER.format(campaign=seller.campaign_id),
            400,
            "provideOrderDigitalCodes",
            seller.campaign_id,
        ),
    ]
    assert [e.get("businessId") for e in entries] == [None, None, seller.business_id]
    assert entries[1]["response"]["body"] == (
        '{"status":"ERROR","errors":[{"code":"UNAUTHORIZED","message":"Credentials are not '
        'specified"}]}'
    )
    assert entries[2]["response"]["body"] == (
        '{"status":"ERROR","errors":[{"code":"BAD_REQUEST","message":"probe failure"}]}'
    )


@pytest.mark.rule("R-085")
@pytest.mark.decision("Query log")
@pytest.mark.parametrize(
    "settings_overrides", [{"limit_overrides": {"provideOrderDigitalCodes": 0}}]
)
async def test_420_answers_are_logged_with_the_body_no_handler_read(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    assert (await deliver(client, seller)).status_code == 420
    [entry] = (await logged(client, sandbox_headers))["requests"]
    assert entry["status"] == 420
    assert entry["request"]["body"] == BODY
    assert entry["response"]["body"] == (
        '{"status":"ERROR","errors":[{"code":"METHOD_FAILURE","message":"Hit rate limit of 0 '
        "requests per 1 hour for resource "
        '/campaigns/{campaignId}/orders/{orderId}/deliverDigitalGoods"}]}'
    )


@pytest.mark.decision("Query log")
async def test_newest_first_in_pages(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    for n in range(1, 6):
        await deliver(client, seller, query=f"n={n}")
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if token:
            params["pageToken"] = token
        page = await logged(client, sandbox_headers, **params)
        seen += [entry["query"] for entry in page["requests"]]
        pages += 1
        token = page["paging"].get("nextPageToken")
        if token is None:
            break
    assert seen == ["n=5", "n=4", "n=3", "n=2", "n=1"]
    assert pages == 3


@pytest.mark.decision("Query log")
async def test_filter_by_campaign(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    second = (await create_campaign(client, businessId=seller.business_id))["campaignId"]
    first = seller.campaign_id
    for campaign in (first, second, first, second, first):
        await deliver(client, seller, campaign=campaign)
    page = await logged(client, sandbox_headers, campaignId=first, limit=2)
    assert [entry["campaignId"] for entry in page["requests"]] == [first, first]
    rest = await logged(
        client, sandbox_headers, campaignId=first, pageToken=page["paging"]["nextPageToken"]
    )
    assert [entry["campaignId"] for entry in rest["requests"]] == [first]
    assert rest["paging"] == {}
    assert (await logged(client, sandbox_headers, campaignId=second + 1000))["requests"] == []


@pytest.mark.rule("R-081")
@pytest.mark.decision("Query log")
@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"limit": 0},
            "Value / length of field limit (0) must be greater than or equal to 1",
        ),
        (
            {"limit": limits.QUERY_LOG_PAGE_LIMIT_MAX + 1},
            f"Value / length of field limit ({limits.QUERY_LOG_PAGE_LIMIT_MAX + 1}) must be "
            f"less than or equal to {limits.QUERY_LOG_PAGE_LIMIT_MAX}",
        ),
        ({"limit": "x"}, "Value of field limit must be an integer"),
        (
            {"campaignId": "0"},
            "Value / length of field campaignId (0) must be greater than or equal to 1",
        ),
        (
            {"pageToken": "bm9wZQ"},
            "Value of field pageToken ('bm9wZQ') is not a token from a previous page",
        ),
        (
            {"pageToken": "!!"},
            "Value of field pageToken ('!!') is not a token from a previous page",
        ),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient,
    sandbox_headers: dict[str, str],
    params: dict[str, Any],
    message: str,
) -> None:
    response = await client.get(REQUESTS, params=params, headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))


@pytest.mark.decision("The Sandbox-Token")
async def test_the_log_needs_the_sandbox_token(client: httpx.AsyncClient) -> None:
    response = await client.get(REQUESTS, headers={"Sandbox-Token": "wrong"})
    assert response.status_code == 401
    assert response.json() == envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong"))


@pytest.mark.decision("Query log")
@pytest.mark.parametrize("settings_overrides", [{"query_log_body_max_bytes": 16}])
async def test_large_bodies_are_cut_and_marked(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await deliver(client, seller)
    [entry] = (await logged(client, sandbox_headers))["requests"]
    assert entry["request"]["body"] == BODY[:16]
    assert (entry["request"]["bodySize"], entry["request"]["bodyTruncated"]) == (len(BODY), True)
    assert entry["response"]["body"] == '{"status": "OK",'
    assert entry["response"]["bodyTruncated"] is True


async def count_rows(database_url: str) -> int:
    from dbskit.settings import normalise_database_url, query_log_url

    db = Database(query_log_url(normalise_database_url(database_url)))
    try:
        with db.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(query_log)).scalar_one())
    finally:
        db.dispose()


@pytest.mark.rule("R-111")
@pytest.mark.decision("Query log")
async def test_entries_older_than_10_days_are_purged(
    app: FastAPI,
    client: httpx.AsyncClient,
    seller: Seller,
    sandbox_headers: dict[str, str],
    settings: Settings,
) -> None:
    runtime: Runtime = app.state.runtime
    await deliver(client, seller, query="n=1")
    clock = "/sandbox/clock"
    nine_days = limits.QUERY_LOG_RETENTION - timedelta(days=1)
    await client.post(
        clock, json={"advanceSeconds": nine_days.total_seconds()}, headers=sandbox_headers
    )
    await deliver(client, seller, query="n=2")
    assert [e["query"] for e in (await logged(client, sandbox_headers))["requests"]] == [
        "n=2",
        "n=1",
    ]
    await client.post(clock, json={"advanceSeconds": 86_400 + 1}, headers=sandbox_headers)
    assert [e["query"] for e in (await logged(client, sandbox_headers))["requests"]] == ["n=2"]
    # The writer's task purges in the background; this waits for that purge or runs it.
    await runtime.query_log.purge_if_due()
    assert await count_rows(settings.resolved_database_url) == 1  # the old row is gone


@pytest.mark.decision("Query log")
@pytest.mark.parametrize("settings_overrides", [{"query_log_retention_days": 1}])
async def test_retention_is_configurable(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await deliver(client, seller)
    await client.post("/sandbox/clock", json={"advanceSeconds": 86_401}, headers=sandbox_headers)
    assert (await logged(client, sandbox_headers))["requests"] == []


@pytest.mark.decision("Query log")
@pytest.mark.parametrize("settings_overrides", [{"query_log_flush_seconds": 3600}])
async def test_written_in_batches_and_flushed_on_shutdown(settings: Settings) -> None:
    async with probe_client(settings) as http:
        seller = await create_seller(http)
        for _ in range(3):
            assert (await deliver(http, seller)).status_code == 200
        # Nothing written on the request path: the batch is still in memory.
        assert await count_rows(settings.resolved_database_url) == 0
    assert await count_rows(settings.resolved_database_url) == 3


@pytest.mark.decision("Query log")
async def test_an_entry_the_database_refuses_is_dropped_alone_and_counted(
    app: FastAPI,
    client: httpx.AsyncClient,
    seller: Seller,
    sandbox_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime: Runtime = app.state.runtime
    await deliver(client, seller, query="n=1")
    # No HTTP call can carry a campaign id past int64; a row that holds one stands for any row
    # the database refuses.
    runtime.query_log.record(
        CapturedCall(
            at=runtime.clock.now(),
            method="GET",
            path="/v2/refused",
            query=b"",
            request_headers=[],
            request_chunks=[],
            status=404,
            campaign_id=2**70,
        )
    )
    await deliver(client, seller, query="n=2")
    page = await logged(client, sandbox_headers)
    assert ([entry["query"] for entry in page["requests"]], page["droppedEntries"]) == (
        ["n=2", "n=1"],
        1,
    )
    [warning] = [r.getMessage() for r in caplog.records if "refused the entry" in r.getMessage()]
    assert warning.startswith("query log: the database refused the entry of GET /v2/refused (")
    assert warning.endswith("); dropped it, 1 dropped since start")
