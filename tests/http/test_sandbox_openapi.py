"""/sandbox/openapi.json and /sandbox/docs: the control plane described, for the token holder,
with Swagger UI's files served from the installed package."""

from __future__ import annotations

import re
from importlib import resources

import httpx
import pytest

from tests.conftest import SANDBOX_TOKEN, envelope
from tests.factories import SANDBOX

UNAUTHORIZED = envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong"))
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
COOKIE = "dbskit_sandbox_session"


@pytest.mark.decision("The control plane's OpenAPI and docs")
@pytest.mark.decision("The Sandbox-Token")
@pytest.mark.parametrize(
    "path", ["/sandbox/openapi.json", "/sandbox/docs", "/sandbox/docs/assets/swagger-ui.css"]
)
async def test_everything_needs_the_token(client: httpx.AsyncClient, path: str) -> None:
    for headers in ({}, {"Sandbox-Token": "wrong"}):
        response = await client.get(path, headers=headers)
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


@pytest.mark.decision("The control plane's OpenAPI and docs")
async def test_the_document_describes_the_sandbox_routes_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/sandbox/openapi.json", headers=SANDBOX)
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "dbskit sandbox control plane"
    paths = document["paths"]
    assert all(path.startswith("/sandbox/") for path in paths)
    assert set(paths["/sandbox/campaigns/{campaignId}"]) == {"get", "patch"}
    for path in (
        "/sandbox/campaigns",
        "/sandbox/clock",
        "/sandbox/outbox",
        "/sandbox/campaigns/{campaignId}/triggers/ping",
        "/sandbox/campaigns/{campaignId}/orders/{orderId}/triggers/delivery-date-change",
    ):
        assert path in paths
    for item in paths.values():
        for operation in item.values():
            assert "422" not in operation["responses"]  # a bad body is the Market's 400
    patch_body = paths["/sandbox/campaigns/{campaignId}"]["patch"]["requestBody"]
    fields = patch_body["content"]["application/json"]["schema"]["properties"]
    assert set(fields) == {"name", "pushUrl", "pushAuthToken", "pushAuthMode", "notificationUrl"}
    assert document["components"]["securitySchemes"] == {
        "SandboxToken": {"type": "apiKey", "in": "header", "name": "Sandbox-Token"}
    }
    assert document["security"] == [{"SandboxToken": []}]


@pytest.mark.decision("The control plane's OpenAPI and docs")
async def test_the_docs_page_loads_nothing_from_another_host(client: httpx.AsyncClient) -> None:
    response = await client.get("/sandbox/docs", headers=SANDBOX)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page)  # no other host
    loaded = set(re.findall(r'(?:src|href)="([^"]+)"', page))
    assert loaded == {f"/sandbox/docs/assets/{name}" for name in ASSETS}
    assert "'/sandbox/openapi.json'" in page


@pytest.mark.decision("The control plane's OpenAPI and docs")
@pytest.mark.parametrize(("name", "media_type"), sorted(ASSETS.items()))
async def test_the_assets_come_from_the_package(
    client: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await client.get(f"/sandbox/docs/assets/{name}", headers=SANDBOX)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.content == (resources.files("fastapi_offline") / "static" / name).read_bytes()


@pytest.mark.decision("The control plane's OpenAPI and docs")
async def test_an_unknown_asset_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/sandbox/docs/assets/redoc.standalone.js", headers=SANDBOX)
    assert response.status_code == 404
    assert response.json() == envelope(
        ("NOT_FOUND", "Resource not found: '/sandbox/docs/assets/redoc.standalone.js'")
    )


@pytest.mark.decision("The control plane's OpenAPI and docs")
async def test_a_browser_signs_in_with_the_token_once(client: httpx.AsyncClient) -> None:
    signed_in = await client.get("/sandbox/docs", params={"token": SANDBOX_TOKEN})
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/sandbox/docs"
    cookie = signed_in.headers["set-cookie"]
    name, value = cookie.split(";", 1)[0].split("=", 1)
    assert name == COOKIE
    assert SANDBOX_TOKEN not in value
    attributes = {part.strip() for part in cookie.split(";")[1:]}
    assert attributes == {"Path=/sandbox", "Max-Age=43200", "HttpOnly", "SameSite=Strict"}
    client.cookies.clear()  # sent by hand below, as a browser would
    session = {"Cookie": f"{COOKIE}={value}"}
    # The cookie alone opens the page, the document and every other /sandbox path.
    for path in ("/sandbox/docs", "/sandbox/openapi.json", "/sandbox/clock"):
        response = await client.get(path, headers=session)
        assert response.status_code == 200, path
    # A header, when sent, is judged alone.
    judged = await client.get("/sandbox/clock", headers=session | {"Sandbox-Token": "wrong"})
    assert (judged.status_code, judged.json()) == (401, UNAUTHORIZED)


@pytest.mark.decision("The control plane's OpenAPI and docs")
@pytest.mark.parametrize(
    "query", [{"token": "wrong"}, {"token": ""}, {"token": [SANDBOX_TOKEN, SANDBOX_TOKEN]}]
)
async def test_a_wrong_sign_in_is_refused(
    client: httpx.AsyncClient, query: dict[str, object]
) -> None:
    response = await client.get("/sandbox/docs", params=query)  # type: ignore[arg-type]
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert "set-cookie" not in response.headers


@pytest.mark.decision("The control plane's OpenAPI and docs")
async def test_the_token_signs_in_nowhere_else(client: httpx.AsyncClient) -> None:
    response = await client.get("/sandbox/clock", params={"token": SANDBOX_TOKEN})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


@pytest.mark.decision("The control plane's OpenAPI and docs")
async def test_a_forged_cookie_opens_nothing(client: httpx.AsyncClient) -> None:
    for value in (SANDBOX_TOKEN, "0" * 64, ""):
        response = await client.get("/sandbox/clock", headers={"Cookie": f"{COOKIE}={value}"})
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
