"""/sandbox/campaigns and /sandbox/tokens: businesses, campaigns and keys as a seller makes them."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dbskit.contract import limits
from dbskit.market.runtime import Runtime
from dbskit.market.storage.tables import BUSINESS_ID_START, CAMPAIGN_ID_START, api_tokens, campaigns
from tests.conftest import envelope
from tests.factories import SANDBOX, create_campaign, create_token, revoke

CAMPAIGNS = "/sandbox/campaigns"
TOKENS = "/sandbox/tokens"


def bad_request(message: str) -> dict[str, object]:
    return envelope(("BAD_REQUEST", message))


@pytest.mark.decision("The Sandbox-Token")
@pytest.mark.parametrize("path", [CAMPAIGNS, TOKENS, TOKENS + "/revoke"])
async def test_the_endpoints_need_the_sandbox_token(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path, json={}, headers={"Sandbox-Token": "wrong"})
    assert response.status_code == 401
    assert response.json() == envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong"))


@pytest.mark.decision("Access: authentication, scopes, campaigns")
@pytest.mark.decision("Campaigns and keys")
async def test_a_campaign_gets_a_new_business_with_market_like_ids(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    first = await create_campaign(client)
    second = await create_campaign(client, name="Second")
    assert first["businessId"] >= BUSINESS_ID_START
    assert first["campaignId"] >= CAMPAIGN_ID_START
    assert second["businessId"] == first["businessId"] + 1
    assert second["campaignId"] == first["campaignId"] + 1
    assert {first["businessId"], second["businessId"]}.isdisjoint(
        {first["campaignId"], second["campaignId"]}
    )


@pytest.mark.decision("Campaigns and keys")
async def test_a_campaign_in_a_given_business_stores_its_push_settings(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    business = (await create_campaign(client))["businessId"]
    body = {
        "name": "Books",
        "businessId": business,
        "pushUrl": "https://store.example/market",
        "pushAuthToken": "s3cret",
        "pushAuthMode": "URL",
        "notificationUrl": "https://store.example/notification",
    }
    response = await client.post(CAMPAIGNS, json=body, headers=SANDBOX)
    assert response.status_code == 201
    created = response.json()
    assert created == {"businessId": business, "campaignId": created["campaignId"]}
    runtime: Runtime = app.state.runtime
    with runtime.db.read() as conn:
        row = conn.execute(
            sa.select(campaigns).where(campaigns.c.id == created["campaignId"])
        ).one()
    assert row._asdict() == {
        "id": created["campaignId"],
        "business_id": business,
        "name": "Books",
        "push_url": "https://store.example/market",
        "push_auth_token": "s3cret",
        "push_auth_mode": "URL",
        "notification_url": "https://store.example/notification",
        "cart_enabled": True,
        "active": True,
        "created_at": row.created_at,
    }


@pytest.mark.decision("Campaigns and keys")
async def test_an_unknown_business_is_404(client: httpx.AsyncClient) -> None:
    for path, body in (
        (CAMPAIGNS, {"businessId": 42}),
        (TOKENS, {"businessId": 42, "scopes": ["all-methods"]}),
    ):
        response = await client.post(path, json=body, headers=SANDBOX)
        assert response.status_code == 404
        assert response.json() == envelope(("NOT_FOUND", "Business not found: '42'"))


@pytest.mark.rule("R-081")
@pytest.mark.decision("Campaigns and keys")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"pushAuthMode": "COOKIE"},
            "Value of field pushAuthMode ('COOKIE') must be one of 'HEADER' or 'URL'",
        ),
        (
            {"pushUrl": "ftp://x"},
            "Value of field pushUrl must match the pattern: '^https?://\\S+$'",
        ),
        ({"businessId": "x"}, "Value of field businessId must be an integer"),
        (
            {"businessId": 0},
            "Value / length of field businessId (0) must be greater than or equal to 1",
        ),
        ({"name": ""}, "Value / length of field name (0) must be greater than or equal to 1"),
    ],
)
async def test_bad_campaign_bodies_are_400(
    client: httpx.AsyncClient, body: dict[str, object], message: str
) -> None:
    response = await client.post(CAMPAIGNS, json=body, headers=SANDBOX)
    assert response.status_code == 400
    assert response.json() == bad_request(message)


@pytest.mark.rule("R-073", "OQ-11")
@pytest.mark.decision("Campaigns and keys")
async def test_a_key_looks_like_the_documented_ones_and_only_its_hash_is_stored(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    business = (await create_campaign(client))["businessId"]
    response = await client.post(
        TOKENS, json={"businessId": business, "scopes": ["pricing", "pricing"]}, headers=SANDBOX
    )
    assert response.status_code == 201
    created = response.json()
    assert created == {
        "tokenId": created["tokenId"],
        "type": "API_KEY",
        "apiKey": created["apiKey"],
    }
    assert limits.API_KEY_PATTERN.fullmatch(created["apiKey"])
    runtime: Runtime = app.state.runtime
    with runtime.db.read() as conn:
        query = sa.select(api_tokens).where(api_tokens.c.business_id == business)
        rows = [row._asdict() for row in conn.execute(query)]
    assert [row["scopes"] for row in rows] == [["pricing"]]
    assert created["apiKey"] not in repr(rows)
    assert created["apiKey"].split(":")[1] not in repr(rows)


@pytest.mark.rule("R-076", "R-077", "R-081")
@pytest.mark.decision("Campaigns and keys")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Missing field businessId"),
        ({"businessId": 1}, "Missing field scopes: an API_KEY token needs at least one scope"),
        ({"businessId": 1, "scopes": []}, "Collection of field scopes must not be empty"),
        (
            {"businessId": 1, "scopes": ["all-methods", "orders"]},
            "Value of field scopes[1] ('orders') must be one of 'all-methods', "
            "'all-methods:read-only', 'inventory-and-order-processing', "
            "'inventory-and-order-processing:read-only', 'pricing', 'pricing:read-only', "
            "'offers-and-cards-management', 'offers-and-cards-management:read-only', "
            "'promotion', 'promotion:read-only', 'finance-and-accounting', 'communication', "
            "'settings-management' or 'supplies-management:read-only'",
        ),
        (
            {"businessId": 1, "type": "OAUTH", "scopes": ["pricing"]},
            "Field scopes must be absent: an OAUTH token cannot be limited",
        ),
        (
            {"businessId": 1, "type": "JWT"},
            "Value of field type ('JWT') must be one of 'API_KEY' or 'OAUTH'",
        ),
    ],
)
async def test_bad_token_bodies_are_400_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], message: str
) -> None:
    response = await client.post(TOKENS, json=body, headers=SANDBOX)
    assert response.status_code == 400
    assert response.json() == bad_request(message)


@pytest.mark.rule("R-076")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_thirty_keys_per_business_and_not_one_more(client: httpx.AsyncClient) -> None:
    business = (await create_campaign(client))["businessId"]
    keys = [await create_token(client, business) for _ in range(limits.API_KEYS_PER_BUSINESS)]
    assert len({key["apiKey"] for key in keys}) == limits.API_KEYS_PER_BUSINESS
    body = {"businessId": business, "scopes": ["all-methods"]}
    response = await client.post(TOKENS, json=body, headers=SANDBOX)
    assert response.status_code == 400
    assert response.json() == bad_request(
        f"Business {business} already has 30 API keys, the most a cabinet may hold: "
        "revoke one before creating another"
    )
    # OAuth tokens are not Api-Keys and do not count; a revoked key frees its place.
    await create_token(client, business, None, kind="OAUTH")
    assert (await revoke(client, apiKey=keys[0]["apiKey"])).status_code == 200
    assert (await client.post(TOKENS, json=body, headers=SANDBOX)).status_code == 201
    assert (await client.post(TOKENS, json=body, headers=SANDBOX)).status_code == 400


@pytest.mark.rule("R-076")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_concurrent_requests_cannot_pass_the_key_limit(client: httpx.AsyncClient) -> None:
    business = (await create_campaign(client))["businessId"]
    body = {"businessId": business, "scopes": ["all-methods"]}
    attempts = limits.API_KEYS_PER_BUSINESS + 6
    responses = await asyncio.gather(
        *(client.post(TOKENS, json=body, headers=SANDBOX) for _ in range(attempts))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * limits.API_KEYS_PER_BUSINESS + [400] * 6


@pytest.mark.decision("Campaigns and keys")
async def test_revocation_is_idempotent_and_unknown_tokens_are_404(
    client: httpx.AsyncClient,
) -> None:
    business = (await create_campaign(client))["businessId"]
    key = (await create_token(client, business))["apiKey"]
    for _ in range(2):
        response = await revoke(client, apiKey=key)
        assert response.status_code == 200
        assert response.json() == {"status": "OK"}
    unknown = "ACMA:" + "a" * 40 + ":0123abcd"
    response = await revoke(client, apiKey=unknown)
    assert response.status_code == 404
    assert response.json() == envelope(("NOT_FOUND", "Token not found"))


@pytest.mark.rule("R-081")
@pytest.mark.decision("Campaigns and keys")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Exactly one of fields apiKey and oauthToken is required"),
        (
            {"apiKey": "Bearer x"},
            f"Value of field apiKey must match the pattern: '{limits.API_KEY_PATTERN.pattern}'",
        ),
    ],
)
async def test_bad_revocation_bodies_are_400(
    client: httpx.AsyncClient, body: dict[str, str], message: str
) -> None:
    response = await client.post(TOKENS + "/revoke", json=body, headers=SANDBOX)
    assert response.status_code == 400
    assert response.json() == bad_request(message)
