"""GET /sandbox/requests and the order an entry concerns: each entry shows it as ``orderId``
(absent for a call on no single order), and ``orderId`` filters the log by it, combined with the
other filters and across pages (docs/decisions.md, "Query log"); a page token for a position the
log cannot hold is refused like a garbled one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.database.values import to_micros
from dbskit.market.domain.query_log import PagePosition
from dbskit.settings import Settings
from tests.conftest import envelope
from tests.factories import Seller, create_seller
from tests.http.partner_probe import install_probe

REQUESTS = "/sandbox/requests"
DELIVER = "/v2/campaigns/{campaign}/orders/{order}/deliverDigitalGoods"
GET_ORDER = "/v2/campaigns/{campaign}/orders/{order}"
BODY = b'{"items":[{"id":1,"codes":["KEY-1"]}]}'
FIRST, SECOND = 54_000_000_001, 54_000_000_002
MOMENT_MIN_US = to_micros(datetime.min.replace(tzinfo=UTC))
MOMENT_MAX_US = to_micros(datetime.max.replace(tzinfo=UTC))
ID_MAX = 2**63 - 1


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
    """On the first order: getOrder, keys, and getOrder refused for another campaign; on the
    second: getOrder; on no single order: getOrders."""
    headers = {**seller.headers, "Content-Type": "application/json"}
    campaign = seller.campaign_id
    await client.get(GET_ORDER.format(campaign=campaign, order=FIRST), headers=headers)
    await client.post(DELIVER.format(campaign=campaign, order=FIRST), content=BODY, headers=headers)
    await client.get(GET_ORDER.format(campaign=campaign, order=SECOND), headers=headers)
    await client.get(f"/v2/campaigns/{campaign}/orders", headers=headers)
    await client.get(GET_ORDER.format(campaign=99_999_999, order=FIRST), headers=headers)


async def _logged(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(REQUESTS, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _brief(entries: list[dict[str, Any]]) -> list[tuple[str | None, int | None, int | None]]:
    """(operation, order, campaign) of each entry, newest first as listed."""
    return [(e.get("operationId"), e.get("orderId"), e.get("campaignId")) for e in entries]


@pytest.mark.rule("R-111")
@pytest.mark.decision("Query log")
async def test_each_entry_shows_the_order_it_concerns(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await _calls(client, seller)
    entries = (await _logged(client, sandbox_headers))["requests"]
    campaign = seller.campaign_id
    assert _brief(entries)[:5] == [
        ("getOrder", FIRST, 99_999_999),  # refused: the path still names the order
        ("getOrders", None, campaign),
        ("getOrder", SECOND, campaign),
        ("provideOrderDigitalCodes", FIRST, campaign),
        ("getOrder", FIRST, campaign),
    ]
    get_orders = entries[1]
    assert "orderId" not in get_orders  # an answer leaves out what it does not have


@pytest.mark.rule("R-111")
@pytest.mark.decision("Query log")
@pytest.mark.decision("Commands that call a server")
async def test_order_id_filters_the_log_with_the_other_filters_and_across_pages(
    client: httpx.AsyncClient, seller: Seller, sandbox_headers: dict[str, str]
) -> None:
    await _calls(client, seller)
    campaign = seller.campaign_id

    first = await _logged(client, sandbox_headers, orderId=FIRST)
    assert _brief(first["requests"]) == [
        ("getOrder", FIRST, 99_999_999),
        ("provideOrderDigitalCodes", FIRST, campaign),
        ("getOrder", FIRST, campaign),
    ]
    second = await _logged(client, sandbox_headers, orderId=SECOND)
    assert _brief(second["requests"]) == [("getOrder", SECOND, campaign)]

    combined = await _logged(
        client, sandbox_headers, orderId=FIRST, campaignId=campaign, operationId="getOrder"
    )
    assert _brief(combined["requests"]) == [("getOrder", FIRST, campaign)]
    refused = await _logged(client, sandbox_headers, orderId=FIRST, status=404)
    assert _brief(refused["requests"]) == [("getOrder", FIRST, 99_999_999)]
    assert (await _logged(client, sandbox_headers, orderId=7))["requests"] == []

    paged: list[dict[str, Any]] = []
    params: dict[str, Any] = {"orderId": FIRST, "limit": 1}
    while True:
        page = await _logged(client, sandbox_headers, **params)
        paged += page["requests"]
        token = page["paging"].get("nextPageToken")
        if token is None:
            break
        params["pageToken"] = token
    assert paged == first["requests"]


@pytest.mark.rule("R-081")
@pytest.mark.decision("Commands that call a server")
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", "Value of field orderId must be an integer"),
        ("0", "Value / length of field orderId (0) must be greater than or equal to 1"),
        (
            str(2**63),
            f"Value / length of field orderId ({2**63}) must be less than or equal to {2**63 - 1}",
        ),
    ],
)
async def test_a_bad_order_id_is_a_400_naming_it(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str], value: str, message: str
) -> None:
    response = await client.get(REQUESTS, params={"orderId": value}, headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))


@pytest.mark.decision("The control plane's OpenAPI and docs")
async def test_the_control_planes_openapi_lists_the_order_filter(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    document = (await client.get("/sandbox/openapi.json", headers=sandbox_headers)).json()
    parameters = document["paths"][REQUESTS]["get"]["parameters"]
    [order] = [p for p in parameters if p["name"] == "orderId"]
    assert order["in"] == "query"
    assert order["required"] is False


@pytest.mark.decision("Query log")
@pytest.mark.parametrize(
    ("at_us", "entry_id"),
    [
        (MOMENT_MAX_US + 1, 1),  # past year 9999
        (MOMENT_MIN_US - 1, 1),  # before year 1
        (0, ID_MAX + 1),  # over 64 bits
        (0, 0),
        (0, -5),
    ],
)
async def test_a_page_token_out_of_every_stored_range_is_a_400(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str], at_us: int, entry_id: int
) -> None:
    token = PagePosition(at_us, entry_id).token()
    response = await client.get(REQUESTS, params={"pageToken": token}, headers=sandbox_headers)
    assert response.status_code == 400
    message = f"Value of field pageToken ('{token}') is not a token from a previous page"
    assert response.json() == envelope(("BAD_REQUEST", message))
    last_kept = PagePosition(MOMENT_MAX_US, ID_MAX).token()
    assert (await _logged(client, sandbox_headers, pageToken=last_kept))["requests"] == []
