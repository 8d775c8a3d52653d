"""The cabinet's guards: signing in with the sandbox token, the session cookie, CSRF on every
form, the Content-Security-Policy and its companion headers, and the docs the session opens."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from dbskit.app import create_app
from dbskit.cabinet._headers import CONTENT_SECURITY_POLICY
from dbskit.clock import wall_clock
from dbskit.market.sandbox.browser_sessions import SESSION_SECONDS, open_session
from dbskit.settings import Settings
from tests.conftest import SANDBOX_TOKEN, envelope
from tests.factories import SANDBOX, runtime_of
from tests.http.cabinet_pages import SESSION_COOKIE, csrf_of, post_form, sign_in

UNAUTHORIZED = envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong"))


def cookie_attributes(header: str) -> tuple[str, str, set[str]]:
    pair, *attributes = (part.strip() for part in header.split(";"))
    name, value = pair.split("=", 1)
    return name, value, set(attributes)


def session_header(response: httpx.Response) -> str:
    (header,) = [
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith(SESSION_COOKIE + "=")
    ]
    return header


@pytest.mark.decision("Signing in to the cabinet")
async def test_the_sign_in_form_takes_the_token_in_a_labelled_password_field(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/cabinet/sign-in")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert 'method="post" action="/cabinet/sign-in"' in page.text
    assert '<label for="sign-in-token">Sandbox token</label>' in page.text
    assert '<input id="sign-in-token" name="token" type="password"' in page.text
    assert SANDBOX_TOKEN not in page.text


@pytest.mark.decision("Signing in to the cabinet")
async def test_signing_in_sets_an_http_only_strict_cookie_without_the_token(
    client: httpx.AsyncClient,
) -> None:
    signed_in = await sign_in(client)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/cabinet/orders")
    name, value, attributes = cookie_attributes(session_header(signed_in))
    assert name == SESSION_COOKIE
    assert SANDBOX_TOKEN not in value
    assert attributes == {"Path=/", "Max-Age=43200", "HttpOnly", "SameSite=Strict"}
    page = await client.get("/cabinet/orders")
    assert page.status_code == 200
    assert 'data-testid="nav"' in page.text


@pytest.mark.decision("Signing in to the cabinet")
async def test_over_https_the_cookie_is_secure(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://dbskit.test") as https:
        signed_in = await sign_in(https)
    assert signed_in.status_code == 303
    _name, _value, attributes = cookie_attributes(session_header(signed_in))
    assert "Secure" in attributes


@pytest.mark.decision("Signing in to the cabinet")
async def test_a_wrong_token_opens_nothing(client: httpx.AsyncClient) -> None:
    for token in ("wrong", "", SANDBOX_TOKEN + " ", SANDBOX_TOKEN.upper()):
        refused = await sign_in(client, token)
        assert refused.status_code == 401
        assert "That is not the sandbox token." in refused.text
        assert not any(
            value.startswith(SESSION_COOKIE) for value in refused.headers.get_list("set-cookie")
        )
        assert (await client.get("/cabinet/orders")).status_code == 303


@pytest.mark.decision("CSRF in the cabinet")
@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
async def test_the_sign_in_form_needs_its_csrf_token(
    client: httpx.AsyncClient, csrf: str | None
) -> None:
    await client.get("/cabinet/sign-in")  # the nonce cookie
    data = {"token": SANDBOX_TOKEN}
    if csrf is not None:
        data["csrf_token"] = csrf
    refused = await client.post("/cabinet/sign-in", data=data)
    assert refused.status_code == 403
    assert "nothing was changed" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


@pytest.mark.decision("Signing in to the cabinet")
async def test_pages_without_a_session_send_the_browser_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    for path in (
        "/cabinet/orders",
        "/cabinet/orders/1",
        "/cabinet/orders/1/keys",
        "/cabinet/requests",
        "/cabinet/requests/1",
        "/cabinet/outbox",
        "/cabinet/campaigns",
        "/cabinet/campaigns/1",
        "/cabinet/sandbox",
    ):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/cabinet/sign-in"


@pytest.mark.decision("Signing in to the cabinet")
async def test_a_form_without_a_session_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    before = runtime_of(app).clock.offset
    refused = await client.post(
        "/cabinet/sandbox/clock", data={"amount": "2", "unit": "days", "csrf_token": "x"}
    )
    assert refused.status_code == 401
    assert runtime_of(app).clock.offset == before


@pytest.mark.decision("Signing in to the cabinet")
async def test_signing_out_ends_the_session(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    kept = client.cookies.get(SESSION_COOKIE)
    page = await client.get("/cabinet/orders")
    signed_out = await post_form(client, "/cabinet/sign-out", {}, page=page.text)
    assert (signed_out.status_code, signed_out.headers["location"]) == (
        303,
        "/cabinet/sign-in?done=signed-out",
    )
    _name, value, attributes = cookie_attributes(session_header(signed_out))
    assert value == ""
    assert "Max-Age=0" in attributes
    # The cookie kept from before opens nothing any more.
    client.cookies.clear()
    replayed = await client.get("/cabinet/orders", headers={"Cookie": f"{SESSION_COOKIE}={kept}"})
    assert (replayed.status_code, replayed.headers["location"]) == (303, "/cabinet/sign-in")


@pytest.fixture
async def other_token_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The same sandbox restarted with another token."""
    changed = settings.model_copy(update={"sandbox_token": SecretStr("another-sandbox-token")})
    application = create_app(changed)
    async with application.router.lifespan_context(application):
        yield application


@pytest.mark.decision("Signing in to the cabinet")
async def test_a_new_token_ends_every_session(
    client: httpx.AsyncClient, other_token_app: FastAPI
) -> None:
    await sign_in(client)
    kept = client.cookies.get(SESSION_COOKIE)
    transport = httpx.ASGITransport(app=other_token_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as other:
        replayed = await other.get(
            "/cabinet/orders", headers={"Cookie": f"{SESSION_COOKIE}={kept}"}
        )
        assert (replayed.status_code, replayed.headers["location"]) == (303, "/cabinet/sign-in")
        docs = await other.get("/sandbox/docs", headers={"Cookie": f"{SESSION_COOKIE}={kept}"})
        assert (docs.status_code, docs.json()) == (401, UNAUTHORIZED)


@pytest.mark.decision("Signing in to the cabinet")
async def test_a_forged_cookie_opens_nothing(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    real = client.cookies.get(SESSION_COOKIE)
    assert real is not None
    session_id, opened, signature = real.split(".")
    client.cookies.clear()
    for value in (
        "forged.1.00",
        "",
        "a.b.c",
        "only-an-id",
        f"{session_id}.{opened}.{signature[:-1]}{'1' if signature[-1] == '0' else '0'}",
        f"{session_id}x.{opened}.{signature}",  # another id
        f"{session_id}.{int(opened) + 1}.{signature}",  # opened later
    ):
        cookie = {"Cookie": f"{SESSION_COOKIE}={value}"}
        response = await client.get("/cabinet/orders", headers=cookie)
        assert response.status_code == 303, value
        assert response.headers["location"] == "/cabinet/sign-in"


@pytest.mark.decision("Signing in to the cabinet")
async def test_a_session_lasts_twelve_hours_of_wall_time(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    now = int(wall_clock().timestamp())
    for opened, opens in ((now - SESSION_SECONDS + 60, True), (now - SESSION_SECONDS, False)):
        _session, value = open_session(SANDBOX_TOKEN, now=opened)
        cookie = {"Cookie": f"{SESSION_COOKIE}={value}"}
        response = await client.get("/cabinet/sandbox", headers=cookie)
        assert response.status_code == (200 if opens else 303), opened
    # Moving the sandbox clock does not age a session.
    _session, value = open_session(SANDBOX_TOKEN, now=now)
    await runtime_of(app).clock_service.advance(seconds=SESSION_SECONDS * 10)
    response = await client.get("/cabinet/sandbox", headers={"Cookie": f"{SESSION_COOKIE}={value}"})
    assert response.status_code == 200


# Every state-changing form of the cabinet, with fields that would be accepted.
def forms(campaign_id: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("/cabinet/sandbox/clock", {"amount": "2", "unit": "days"}),
        ("/cabinet/sandbox/reset", {}),
        ("/cabinet/campaigns", {"name": "Made by a forged form"}),
        (f"/cabinet/campaigns/{campaign_id}/settings", {"name": "Renamed by a forged form"}),
        (f"/cabinet/campaigns/{campaign_id}/activity", {"active": "no"}),
        (f"/cabinet/campaigns/{campaign_id}/ping", {}),
        (
            "/cabinet/sandbox/orders",
            {"campaign": str(campaign_id), "offerId": "sku-1", "price": "10", "count": "1"},
        ),
        (
            "/cabinet/sandbox/faults",
            {"operationId": "getOrder", "fault": "INTERNAL_ERROR", "mode": "NEXT", "count": "1"},
        ),
        ("/cabinet/sandbox/faults/clear", {}),
        ("/cabinet/sign-out", {}),
    ]


@pytest.mark.decision("CSRF in the cabinet")
@pytest.mark.parametrize("csrf", [None, "", "wrong", "from another session"])
async def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    app: FastAPI, client: httpx.AsyncClient, csrf: str | None
) -> None:
    runtime = runtime_of(app)
    assert runtime.demo is not None
    campaign_id = runtime.demo.campaign_id
    if csrf == "from another session":
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as other:
            await sign_in(other)
            csrf = csrf_of((await other.get("/cabinet/orders")).text)
    await sign_in(client)
    before_clock = runtime.clock.offset
    settings_path = f"/sandbox/campaigns/{campaign_id}"
    before_settings = (await client.get(settings_path, headers=SANDBOX)).json()
    for path, data in forms(campaign_id):
        body = dict(data) if csrf is None else {**data, "csrf_token": csrf}
        refused = await client.post(path, data=body)
        assert refused.status_code == 403, path
        assert "nothing was changed" in refused.text
    assert runtime.clock.offset == before_clock
    after = await client.get(settings_path, headers=SANDBOX)
    assert after.json() == before_settings
    assert (await client.get("/sandbox/outbox", headers=SANDBOX)).json() == {"messages": []}
    orders = await client.get(
        f"/v2/campaigns/{campaign_id}/orders", headers={"Api-Key": runtime.demo.api_key or ""}
    )
    assert orders.json()["orders"] == []
    assert (await client.get("/sandbox/faults", headers=SANDBOX)).json() == {"rules": []}
    # The session itself still works: the refused sign-out did not end it.
    assert (await client.get("/cabinet/orders")).status_code == 200


@pytest.mark.decision("The cabinet's Content-Security-Policy")
async def test_every_answer_carries_the_policy(client: httpx.AsyncClient) -> None:
    policy = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["object-src"] == policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    answers = [await client.get("/cabinet/orders"), await sign_in(client)]
    for path in (
        "/cabinet/sign-in",
        "/cabinet/orders",
        "/cabinet/requests",
        "/cabinet/outbox",
        "/cabinet/campaigns",
        "/cabinet/sandbox",
        "/cabinet/orders?status=NOPE",
        "/cabinet/no-such-page",
        "/cabinet/",
    ):
        answers.append(await client.get(path))
    answers.append(await client.post("/cabinet/sandbox/reset", data={"csrf_token": "wrong"}))
    for answer in answers:
        headers = answer.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, answer.url
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
    for name in ("cabinet.css", "cabinet.js"):
        asset = await client.get(f"/cabinet/static/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert asset.headers["cache-control"] == "private, max-age=86400"


@pytest.mark.decision("The cabinet's Content-Security-Policy")
async def test_pages_have_no_inline_script_or_style(client: httpx.AsyncClient) -> None:
    pages = [(await client.get("/cabinet/sign-in")).text]
    await sign_in(client)
    for path in ("/cabinet/orders", "/cabinet/sandbox", "/cabinet/campaigns", "/cabinet/outbox"):
        pages.append((await client.get(path)).text)
    for page in pages:
        assert_no_inline_code(page)


def assert_no_inline_code(page: str) -> None:
    """No inline script, style or event attribute: the page's own files only."""
    assert "<style" not in page
    assert not re.search(r"<[^>]*\s(?:on[a-z]+|style)\s*=", page)
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/cabinet/static/cabinet.js" defer>']


@pytest.mark.decision("Signing in to the cabinet")
@pytest.mark.decision("The control plane's OpenAPI and docs")
async def test_the_session_opens_the_control_planes_docs_and_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    await sign_in(client)
    for path in (
        "/sandbox/docs",
        "/sandbox/openapi.json",
        "/sandbox/docs/assets/swagger-ui.css",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
    # The JSON control plane has no CSRF token: it keeps asking for the header.
    for method, path in (("GET", "/sandbox/clock"), ("POST", "/sandbox/reset")):
        response = await client.request(method, path)
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED), path
    # A header, when sent, is judged alone.
    judged = await client.get("/sandbox/openapi.json", headers={"Sandbox-Token": "wrong"})
    assert (judged.status_code, judged.json()) == (401, UNAUTHORIZED)


@pytest.mark.decision("Signing in to the cabinet")
async def test_the_token_is_in_no_page_and_no_address(client: httpx.AsyncClient) -> None:
    seen: list[httpx.Response] = [await sign_in(client)]
    for path in (
        "/cabinet/orders",
        "/cabinet/requests",
        "/cabinet/outbox",
        "/cabinet/campaigns",
        "/cabinet/sandbox",
        "/cabinet/sign-in",
        "/cabinet/orders?status=BAD",
        "/cabinet/",
    ):
        seen.append(await client.get(path))
    for response in seen:
        assert SANDBOX_TOKEN not in response.text
        assert SANDBOX_TOKEN not in response.headers.get("location", "")
        for value in response.headers.get_list("set-cookie"):
            assert SANDBOX_TOKEN not in value
