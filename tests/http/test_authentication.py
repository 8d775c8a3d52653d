"""Authentication of Partner API calls: Api-Key, the deprecated OAuth form, and their messages.

Every case goes through the real application on ``GET v2/delivery/services``, the method that
accepts every scope, so only authentication decides the answer.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from dbskit.contract import limits
from dbskit.market.domain.delivery_services import DELIVERY_SERVICES
from dbskit.market.runtime import Runtime
from tests.conftest import envelope
from tests.factories import SANDBOX, Seller, create_seller, create_token, revoke

PATH = "/v2/delivery/services"
DIRECTORY = {
    "result": {"deliveryService": [{"id": s.id, "name": s.name} for s in DELIVERY_SERVICES]}
}
WELL_FORMED_UNKNOWN = "ACMA:I4c4CxCSYaI41RSC2uYWP2qj3Rhhm4knMiBEga5K:151c0664"  # R-073 sample


def unauthorized(message: str) -> dict[str, object]:
    return envelope(("UNAUTHORIZED", message))


@pytest.fixture
async def seller(client: httpx.AsyncClient) -> Seller:
    return await create_seller(client)


@pytest.mark.rule("R-075", "OQ-14")
async def test_no_credentials_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH)
    assert response.status_code == 401
    assert response.json() == unauthorized("Credentials are not specified")


@pytest.mark.rule("R-075")
async def test_head_requests_are_authenticated_too(client: httpx.AsyncClient) -> None:
    response = await client.head(PATH)
    assert response.status_code == 401


@pytest.mark.rule("R-075")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_an_empty_api_key_header_counts_as_absent(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH, headers={"Api-Key": ""})
    assert response.status_code == 401
    assert response.json() == unauthorized("Credentials are not specified")


@pytest.mark.rule("R-073")
async def test_a_valid_api_key_passes(client: httpx.AsyncClient, seller: Seller) -> None:
    response = await client.get(PATH, headers=seller.headers)
    assert response.status_code == 200
    assert response.json() == DIRECTORY


@pytest.mark.rule("R-072", "R-073")
@pytest.mark.parametrize("path", ["/v2/delivery/services", "/delivery/services.json"])
async def test_every_path_spelling_is_authenticated(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Api-Key": WELL_FORMED_UNKNOWN})
    assert response.status_code == 401
    assert response.json() == unauthorized("Api-Key token is invalid")


@pytest.mark.rule("R-073", "OQ-11")
@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("Bearer " + WELL_FORMED_UNKNOWN, "Api-Key token prefix invalid", id="bearer"),
        pytest.param("acma:" + WELL_FORMED_UNKNOWN[5:], "Api-Key token prefix invalid", id="case"),
        pytest.param("y0_BfRRRRRV2L8sWWvNkSNNNN", "Api-Key token prefix invalid", id="oauth"),
        pytest.param("ACMA:", "Api-Key token length invalid", id="prefix-only"),
        pytest.param(WELL_FORMED_UNKNOWN[:-1], "Api-Key token length invalid", id="short"),
        pytest.param(WELL_FORMED_UNKNOWN + "a", "Api-Key token length invalid", id="long"),
        pytest.param(
            WELL_FORMED_UNKNOWN[:-8] + "151C0664", "Api-Key token format invalid", id="upper-hex"
        ),
        pytest.param(
            WELL_FORMED_UNKNOWN.replace("I4c4", "I4-4"), "Api-Key token format invalid", id="dash"
        ),
        pytest.param(
            WELL_FORMED_UNKNOWN.replace(":151", "-151"), "Api-Key token format invalid", id="sep"
        ),
        pytest.param(WELL_FORMED_UNKNOWN, "Api-Key token is invalid", id="unknown"),
    ],
)
async def test_malformed_and_unknown_api_keys_are_401(
    client: httpx.AsyncClient, seller: Seller, value: str, message: str
) -> None:
    assert len(WELL_FORMED_UNKNOWN) == limits.API_KEY_LENGTH
    response = await client.get(PATH, headers={"Api-Key": value})
    assert response.status_code == 401
    assert response.json() == unauthorized(message)


@pytest.mark.rule("R-073", "R-076", "OQ-11")
async def test_a_revoked_api_key_is_401_revoked(client: httpx.AsyncClient, seller: Seller) -> None:
    assert (await revoke(client, apiKey=seller.api_key)).status_code == 200
    response = await client.get(PATH, headers=seller.headers)
    assert response.status_code == 401
    assert response.json() == unauthorized("Api-Key token is revoked")


@pytest.fixture
async def oauth_token(client: httpx.AsyncClient, seller: Seller) -> str:
    created = await create_token(client, seller.business_id, None, kind="OAUTH")
    token: str = created["oauthToken"]
    return token


@pytest.mark.rule("R-074")
async def test_a_valid_oauth_token_passes(client: httpx.AsyncClient, oauth_token: str) -> None:
    response = await client.get(PATH, headers={"Authorization": f"Bearer {oauth_token}"})
    assert response.status_code == 200
    assert response.json() == DIRECTORY


@pytest.mark.rule("R-074")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("", "OAuth credentials are not specified", id="empty"),
        pytest.param("Bearer", "OAuth token is not specified", id="bearer-only"),
        pytest.param("Bearer   ", "OAuth token is not specified", id="bearer-blank"),
        pytest.param("y0_token", "Authorization header has invalid syntax", id="no-scheme"),
        pytest.param("Bearer a b", "Authorization header has invalid syntax", id="two-tokens"),
        pytest.param(
            "Basic dXNlcjpwYXNz",
            "Unsupported authorization type specified in Authorization header",
            id="basic",
        ),
        pytest.param(
            "OAuth y0_token",
            "Unsupported authorization type specified in Authorization header",
            id="oauth-scheme",
        ),
    ],
)
async def test_malformed_authorization_headers_are_401(
    client: httpx.AsyncClient, value: str, message: str
) -> None:
    response = await client.get(PATH, headers={"Authorization": value})
    assert response.status_code == 401
    assert response.json() == unauthorized(message)


@pytest.mark.rule("R-074", "C-24", "OQ-14")
async def test_an_unknown_oauth_token_is_403(client: httpx.AsyncClient) -> None:
    response = await client.get(
        PATH, headers={"Authorization": "Bearer y0_BfRRRRRV2L8sWWvNkSNNNNSrLHaNXg4cCMswFbL6MWab9"}
    )
    assert response.status_code == 403
    assert response.json() == envelope(("FORBIDDEN", "OAuth token is invalid"))


@pytest.mark.rule("R-074", "C-24")
async def test_an_api_key_in_the_authorization_header_is_an_invalid_oauth_token(
    client: httpx.AsyncClient, seller: Seller
) -> None:
    response = await client.get(PATH, headers={"Authorization": f"Bearer {seller.api_key}"})
    assert response.status_code == 403
    assert response.json() == envelope(("FORBIDDEN", "OAuth token is invalid"))


@pytest.mark.rule("R-074", "C-24")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_a_revoked_oauth_token_is_403(client: httpx.AsyncClient, oauth_token: str) -> None:
    assert (await revoke(client, oauthToken=oauth_token)).status_code == 200
    response = await client.get(PATH, headers={"Authorization": f"Bearer {oauth_token}"})
    assert response.status_code == 403
    assert response.json() == envelope(("FORBIDDEN", "OAuth token is invalid"))


@pytest.mark.rule("R-076", "C-24")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_an_oauth_token_expires_after_a_year_on_the_sandbox_clock(
    client: httpx.AsyncClient, oauth_token: str
) -> None:
    headers = {"Authorization": f"Bearer {oauth_token}"}
    almost = limits.OAUTH_TOKEN_VALIDITY.total_seconds() - 60
    await client.post("/sandbox/clock", json={"advanceSeconds": almost}, headers=SANDBOX)
    assert (await client.get(PATH, headers=headers)).status_code == 200
    await client.post("/sandbox/clock", json={"advanceSeconds": 60}, headers=SANDBOX)
    response = await client.get(PATH, headers=headers)
    assert response.status_code == 403
    assert response.json() == envelope(("FORBIDDEN", "OAuth token is invalid"))


@pytest.mark.rule("OQ-10")
async def test_api_key_wins_when_both_headers_are_sent(
    client: httpx.AsyncClient, seller: Seller, oauth_token: str
) -> None:
    both = {"Api-Key": WELL_FORMED_UNKNOWN, "Authorization": f"Bearer {oauth_token}"}
    response = await client.get(PATH, headers=both)
    assert response.status_code == 401
    assert response.json() == unauthorized("Api-Key token is invalid")

    with_bad_oauth = {"Api-Key": seller.api_key, "Authorization": "Basic Zm9v"}
    assert (await client.get(PATH, headers=with_bad_oauth)).status_code == 200


@pytest.mark.rule("R-077")
@pytest.mark.decision("Demo access")
async def test_the_demo_key_made_at_start_has_full_access(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    runtime: Runtime = app.state.runtime
    assert runtime.demo is not None and runtime.demo.api_key is not None
    response = await client.get(PATH, headers={"Api-Key": runtime.demo.api_key})
    assert response.status_code == 200
    assert response.json() == DIRECTORY
