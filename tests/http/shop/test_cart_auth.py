"""R-039: the push token, as a bare Authorization header or the auth-token parameter."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.cart_factories import MOSCOW, cart_body, line
from tests.http.shop.conftest import PUSH_TOKEN, store_error

BODY = cart_body(MOSCOW, line("phone-nova-x1"))
JSON = {"Content-Type": "application/json"}
HEADER_MESSAGE = "Authorization header is missing or does not carry the push token"
URL_MESSAGE = "auth-token parameter is missing or is not the push token"


@pytest.mark.rule("R-039")
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "wrong"}, id="wrong"),
        pytest.param({"Authorization": f"Bearer {PUSH_TOKEN}"}, id="with-a-scheme-word"),
        pytest.param({"Authorization": PUSH_TOKEN + " "}, id="trailing-space"),
    ],
)
async def test_header_mode_refuses(
    store_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await store_client.post("/cart", json=BODY, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    assert response.json() == store_error("FORBIDDEN", HEADER_MESSAGE)


@pytest.mark.rule("R-039")
async def test_header_mode_accepts_the_bare_token(store_client: httpx.AsyncClient) -> None:
    response = await store_client.post("/cart", json=BODY, headers={"Authorization": PUSH_TOKEN})
    assert response.status_code == 200


@pytest.mark.rule("R-039")
async def test_header_mode_ignores_the_parameter(store_client: httpx.AsyncClient) -> None:
    response = await store_client.post("/cart", json=BODY, params={"auth-token": PUSH_TOKEN})
    assert (response.status_code, response.json()) == (
        403,
        store_error("FORBIDDEN", HEADER_MESSAGE),
    )


@pytest.mark.rule("R-039")
@pytest.mark.parametrize("store_overrides", [{"store_auth_mode": "URL"}])
@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        pytest.param({"auth-token": PUSH_TOKEN}, {}, 200, id="right-parameter"),
        pytest.param({"auth-token": "wrong"}, {}, 403, id="wrong-parameter"),
        pytest.param({}, {}, 403, id="missing"),
        pytest.param({}, {"Authorization": PUSH_TOKEN}, 403, id="header-instead"),
    ],
)
async def test_url_mode(
    store_client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    response = await store_client.post("/cart", json=BODY, params=params, headers=headers)
    assert response.status_code == status
    if status == 403:
        assert response.json() == store_error("FORBIDDEN", URL_MESSAGE)


@pytest.mark.rule("R-039")
@pytest.mark.parametrize("store_overrides", [{"store_token": None}])
async def test_without_a_configured_token_everything_is_refused(
    store_client: httpx.AsyncClient, store_overrides: dict[str, Any]
) -> None:
    response = await store_client.post("/cart", json=BODY, headers={"Authorization": ""})
    assert response.status_code == 403
    assert response.json() == store_error(
        "FORBIDDEN", "no push token is configured: every call is refused"
    )


@pytest.mark.rule("R-039", "R-067")
async def test_token_is_checked_before_the_body(store_client: httpx.AsyncClient) -> None:
    response = await store_client.post("/cart", content=b"{not json", headers=JSON)
    assert (response.status_code, response.json()) == (
        403,
        store_error("FORBIDDEN", HEADER_MESSAGE),
    )
