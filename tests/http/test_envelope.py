"""The error envelope and the transport rules shared by every method (R-071, R-080..R-089, C-20).

These go through the sandbox clock endpoint, the one body-carrying route of the base, and through
a probe route added to the real application for the path and 500 cases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import JSONResponse, Response

from dbskit.contract import limits
from dbskit.market.routes._partner import PartnerRequest
from tests.conftest import SANDBOX_TOKEN, envelope
from tests.factories import Seller, create_seller

CLOCK = "/sandbox/clock"


@pytest.mark.rule("R-071", "R-080", "R-082", "C-12")
async def test_unknown_path_is_404_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/no/such/resource")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == envelope(("NOT_FOUND", "Resource not found: '/no/such/resource'"))


@pytest.mark.rule("R-071", "R-080")
async def test_a_trailing_slash_is_another_path(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    response = await client.get(CLOCK + "/", headers=sandbox_headers)
    assert response.status_code == 404
    assert response.json() == envelope(("NOT_FOUND", "Resource not found: '/sandbox/clock/'"))


@pytest.mark.rule("R-071", "R-080", "R-082")
async def test_wrong_method_is_405(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    response = await client.delete(CLOCK, headers=sandbox_headers)
    assert response.status_code == 405
    assert response.json() == envelope(
        ("METHOD_NOT_ALLOWED", "Request method 'DELETE' not supported")
    )


@pytest.mark.rule("R-071", "R-082", "R-089")
@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("text/plain", "Content type 'text/plain' not supported"),
        (
            "application/xml; charset=utf-8",
            "Content type 'application/xml; charset=utf-8' not supported",
        ),
        ("nonsense", "Unknown content-type: 'nonsense'"),
    ],
)
async def test_wrong_content_type_is_415(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str], content_type: str, message: str
) -> None:
    headers = sandbox_headers | {"Content-Type": content_type}
    response = await client.post(CLOCK, content=b'{"advanceSeconds": 1}', headers=headers)
    assert response.status_code == 415
    assert response.json() == envelope(("UNSUPPORTED_MEDIA_TYPE", message))


@pytest.mark.rule("R-089", "C-20")
async def test_missing_content_type_is_parsed_as_json(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    headers = {"Sandbox-Token": sandbox_headers["Sandbox-Token"]}
    response = await client.post(CLOCK, content=b'{"advanceSeconds": 1}', headers=headers)
    assert response.status_code == 200
    assert set(response.json()) == {"now", "eventsRun", "eventsRemaining"}


@pytest.mark.rule("R-071", "C-20")
@pytest.mark.parametrize("settings_overrides", [{"strict_content_type": True}])
async def test_missing_content_type_is_415_under_strict_switch(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    headers = {"Sandbox-Token": sandbox_headers["Sandbox-Token"]}
    response = await client.post(CLOCK, content=b'{"advanceSeconds": 1}', headers=headers)
    assert response.status_code == 415
    assert response.json() == envelope(("UNSUPPORTED_MEDIA_TYPE", "Missing Content-Type"))


@pytest.mark.rule("R-071", "R-081")
async def test_malformed_json_is_400(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    response = await client.post(CLOCK, content=b'{"advanceSeconds": ', headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(
        ("BAD_REQUEST", "JSON: EOF while parsing a value at line 1 column 19")
    )


@pytest.mark.rule("R-071", "R-081", "R-089")
async def test_non_utf8_body_is_400(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    body = '{"now": "2030-01-01T00:00:00Z", "x": "é"}'.encode("latin-1")
    response = await client.post(CLOCK, content=body, headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(
        ("BAD_REQUEST", "Unexpected character '0xE9': expected a valid value 'UTF-8'")
    )


@pytest.mark.rule("R-071", "R-081")
async def test_empty_body_is_400(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    response = await client.post(CLOCK, content=b"", headers=sandbox_headers)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", "Unexpected end of content"))


@pytest.mark.rule("R-071", "R-081")
async def test_one_entry_per_violation(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    response = await client.post(
        CLOCK, json={"advanceSeconds": "soon", "now": 5}, headers=sandbox_headers
    )
    assert response.status_code == 400
    assert response.json() == envelope(
        ("BAD_REQUEST", "Value of field advanceSeconds must be a number"),
        ("BAD_REQUEST", "Value of field now must be a date-time"),
    )


def _padded(size: int) -> bytes:
    body = b'{"advanceSeconds": 1}'
    return body + b" " * (size - len(body))


@pytest.mark.rule("R-088")
async def test_body_exactly_at_the_limit_is_accepted(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    response = await client.post(
        CLOCK, content=_padded(limits.REQUEST_BODY_MAX_BYTES), headers=sandbox_headers
    )
    assert response.status_code == 200


TOO_BIG = envelope(("BAD_REQUEST", "The request is too big: the body is over 524288 bytes"))


@pytest.mark.rule("R-071", "R-088")
async def test_body_one_byte_over_the_limit_is_400(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    response = await client.post(
        CLOCK, content=_padded(limits.REQUEST_BODY_MAX_BYTES + 1), headers=sandbox_headers
    )
    assert response.status_code == 400
    assert response.json() == TOO_BIG


@pytest.mark.rule("R-071", "R-088")
async def test_chunked_body_over_the_limit_is_400(
    client: httpx.AsyncClient, sandbox_headers: dict[str, str]
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        body = _padded(limits.REQUEST_BODY_MAX_BYTES + 10)
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    response = await client.post(CLOCK, content=chunks(), headers=sandbox_headers)
    assert "content-length" not in response.request.headers
    assert response.status_code == 400
    assert response.json() == TOO_BIG


@pytest.fixture
def probe_app(app: FastAPI) -> FastAPI:
    """Handlers that exist only in this test, to reach the shared machinery directly: a sandbox
    route and a Partner API operation (getOrder) that fail, and getOrders answering with the
    campaign the gateway resolved."""

    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    async def partner_boom(_partner: PartnerRequest) -> Response:
        raise RuntimeError("secret internal detail")

    async def campaign(partner: PartnerRequest) -> Response:
        return JSONResponse({"campaignId": partner.campaign_id})

    app.add_api_route("/sandbox/probe/boom", boom, methods=["GET"])
    handlers = app.state.partner_api.handlers
    handlers["getOrder"] = partner_boom
    handlers["getOrders"] = campaign
    return app


@pytest.fixture
async def seller(client: httpx.AsyncClient) -> Seller:
    return await create_seller(client)


@pytest.fixture
def client_with_probes(
    probe_app: FastAPI, client: httpx.AsyncClient, seller: Seller
) -> httpx.AsyncClient:
    client.headers.update(seller.headers)
    client.headers["Sandbox-Token"] = SANDBOX_TOKEN  # every /sandbox path asks for it first
    return client


@pytest.mark.rule("R-071", "R-080")
@pytest.mark.parametrize("path", ["/sandbox/probe/boom", "/v2/campaigns/{campaign}/orders/1"])
async def test_unexpected_error_is_500_envelope_without_internals(
    client_with_probes: httpx.AsyncClient,
    seller: Seller,
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    response = await client_with_probes.get(path.format(campaign=seller.campaign_id))
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == envelope(
        ("INTERNAL_ERROR", f"Internal error; request id {request_id}")
    )
    assert "secret" not in response.text and "Traceback" not in response.text
    assert any(request_id in record.getMessage() for record in caplog.records)


@pytest.mark.rule("R-072")
@pytest.mark.parametrize(
    "path",
    [
        "/v2/campaigns/{campaign}/orders",
        "/campaigns/{campaign}/orders",
        "/v2/campaigns/{campaign}/orders.json",
        "/campaigns/{campaign}/orders.json",
    ],
)
async def test_every_path_spelling_reaches_the_method(
    client_with_probes: httpx.AsyncClient, seller: Seller, path: str
) -> None:
    response = await client_with_probes.get(path.format(campaign=seller.campaign_id))
    assert response.status_code == 200
    assert response.json() == {"campaignId": seller.campaign_id}


@pytest.mark.rule("R-003", "R-071", "R-081")
async def test_path_parameter_violation_names_the_field(
    client_with_probes: httpx.AsyncClient,
) -> None:
    response = await client_with_probes.get("/v2/campaigns/abc/orders")
    assert response.status_code == 400
    assert response.json() == envelope(
        ("BAD_REQUEST", "Value of field campaignId must be an integer")
    )


@pytest.mark.rule("R-071", "R-080", "R-082")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v2/campaigns/{campaign}/orders/1"),
        ("POST", "/campaigns/{campaign}/orders.json"),
        ("PUT", "/v2/delivery/services"),
        ("GET", "/v2/campaigns/{campaign}/orders/1/deliverDigitalGoods"),
    ],
)
async def test_wrong_method_on_a_partner_api_path_is_405(
    client_with_probes: httpx.AsyncClient, seller: Seller, method: str, path: str
) -> None:
    response = await client_with_probes.request(method, path.format(campaign=seller.campaign_id))
    assert response.status_code == 405
    assert response.json() == envelope(
        ("METHOD_NOT_ALLOWED", f"Request method '{method}' not supported")
    )


@pytest.mark.rule("R-071", "R-080")
async def test_order_id_violation_names_the_field(
    client_with_probes: httpx.AsyncClient, seller: Seller
) -> None:
    response = await client_with_probes.put(
        f"/v2/campaigns/{seller.campaign_id}/orders/x1/status",
        json={"order": {"status": "CANCELLED"}},
    )
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", "Value of field orderId must be an integer"))
