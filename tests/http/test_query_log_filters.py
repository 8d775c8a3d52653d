"""GET /sandbox/requests filtered by operationId and status (beside campaignId; they combine)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.settings import Settings
from tests.conftest import envelope
from tests.factories import Seller, create_seller
from tests.http.partner_probe import install_probe

REQUESTS = "/sandbox/requests"
DELIVER = "/v2/campaigns/{campaign}/orders/9/deliverDigitalGoods"
BODY = b'{"items":[{"id":1,"codes":["KEY-1"]}]}'


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    install_probe(application)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def seller(client: httpx.AsyncClient) -> Seller:
    return await create_seller(client)


async def _calls(client: httpx.AsyncClient, seller: Seller) -> None:
    """Two calls answered by the handler, one refused for an unknown campaign, one other
    operation."""
    headers = {**seller.headers, "Content-Type": "application/json"}
    for campaign in (seller.campaign_id, seller.campaign_id, 99_999_999):
        await client.post(DELIVER.format(campaign=campaign), content=BODY, headers=headers)
    await client.get("/v2/delivery/services", headers=seller.headers)


async def _logged(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(REQUESTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


@pytest.mark.decision("Commands that call a server")
async def test_filter_by_operation_and_status(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await _calls(client, seller)
    everything = await _logged(client, sandbox_headers)
    refused = [entry for entry in everything if entry["status"] == 404]
    assert len(refused) == 1

    by_status = await _logged(client, sandbox_headers, status=404)
    assert [entry["id"] for entry in by_status] == [refused[0]["id"]]

    delivered = await _logged(client, sandbox_headers, operationId="provideOrderDigitalCodes")
    assert len(delivered) == 3
    assert {entry["operationId"] for entry in delivered} == {"provideOrderDigitalCodes"}

    combined = await _logged(
        client,
        sandbox_headers,
        operationId="provideOrderDigitalCodes",
        campaignId=seller.campaign_id,
        status=200,
    )
    assert len(combined) == 2
    assert {entry["campaignId"] for entry in combined} == {seller.campaign_id}
    assert await _logged(client, sandbox_headers, operationId="getOrder") == []


@pytest.mark.rule("R-081")
@pytest.mark.decision("Commands that call a server")
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "x"}, "Value of field status must be an integer"),
        (
            {"status": "600"},
            "Value / length of field status (600) must be less than or equal to 599",
        ),
        (
            {"status": "-1"},
            "Value / length of field status (-1) must be greater than or equal to 0",
        ),
    ],
)
async def test_bad_filters_are_400(
    client: httpx.AsyncClient,
    sandbox_headers: dict[str, str],
    params: dict[str, Any],
    message: str,
) -> None:
    response = await client.get(REQUESTS, params=params, headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))


@pytest.mark.decision("Commands that call a server")
@pytest.mark.parametrize("operation_id", ["", "x" * 65])
async def test_an_empty_or_overlong_operation_id_is_400(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str], operation_id: str
) -> None:
    response = await client.get(
        REQUESTS, params={"operationId": operation_id}, headers=sandbox_headers
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1 and "operationId" in errors[0]["message"]
