"""R-079: the API is closed for an inactive store, and for a cabinet with no active store.

The sandbox switches a campaign's store off and on (``POST /sandbox/campaigns/{id}/activity``);
the gateway answers the documented 403 after authentication, scopes and campaign ownership.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import envelope
from tests.factories import SANDBOX, Seller, create_campaign, create_seller


async def switch(client: httpx.AsyncClient, campaign_id: int, *, active: bool) -> httpx.Response:
    return await client.post(
        f"/sandbox/campaigns/{campaign_id}/activity", json={"active": active}, headers=SANDBOX
    )


def campaign_closed(campaign_id: int) -> dict[str, object]:
    return envelope(
        ("FORBIDDEN", f"Access denied for campaign '{campaign_id}' because it is not active")
    )


def business_closed(business_id: int) -> dict[str, object]:
    return envelope(
        ("FORBIDDEN", f"Restrict access for business '{business_id}' because it is not active")
    )


@pytest.fixture
async def seller(client: httpx.AsyncClient) -> Seller:
    return await create_seller(client)


@pytest.mark.rule("R-079")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_an_inactive_store_closes_its_campaign_and_its_cabinet(
    client: httpx.AsyncClient, seller: Seller
) -> None:
    response = await switch(client, seller.campaign_id, active=False)
    assert response.status_code == 200
    assert response.json() == {"campaignId": seller.campaign_id, "active": False}

    orders = await client.get(f"/v2/campaigns/{seller.campaign_id}/orders", headers=seller.headers)
    assert orders.status_code == 403
    assert orders.json() == campaign_closed(seller.campaign_id)

    services = await client.get("/v2/delivery/services", headers=seller.headers)
    assert services.status_code == 403
    assert services.json() == business_closed(seller.business_id)


@pytest.mark.rule("R-079")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_an_active_store_again_opens_the_api(
    client: httpx.AsyncClient, seller: Seller
) -> None:
    await switch(client, seller.campaign_id, active=False)
    response = await switch(client, seller.campaign_id, active=True)
    assert response.json() == {"campaignId": seller.campaign_id, "active": True}

    orders = await client.get(f"/v2/campaigns/{seller.campaign_id}/orders", headers=seller.headers)
    assert orders.status_code == 200
    services = await client.get("/v2/delivery/services", headers=seller.headers)
    assert services.status_code == 200


@pytest.mark.rule("R-079")
async def test_a_cabinet_stays_open_while_one_store_is_active(
    client: httpx.AsyncClient, seller: Seller
) -> None:
    second = await create_campaign(client, businessId=seller.business_id)
    await switch(client, seller.campaign_id, active=False)

    services = await client.get("/v2/delivery/services", headers=seller.headers)
    assert services.status_code == 200
    active = await client.get(
        f"/v2/campaigns/{second['campaignId']}/orders", headers=seller.headers
    )
    assert active.status_code == 200
    closed = await client.get(f"/v2/campaigns/{seller.campaign_id}/orders", headers=seller.headers)
    assert closed.json() == campaign_closed(seller.campaign_id)


@pytest.mark.rule("R-078", "R-079")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_ownership_is_judged_before_activity(
    client: httpx.AsyncClient, seller: Seller
) -> None:
    other = await create_seller(client)
    await switch(client, other.campaign_id, active=False)
    response = await client.get(f"/v2/campaigns/{other.campaign_id}/orders", headers=seller.headers)
    assert response.status_code == 403
    assert response.json() == envelope(("FORBIDDEN", "Access denied"))


@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_switching_an_unknown_campaign_is_404(client: httpx.AsyncClient) -> None:
    response = await switch(client, 99_999_999, active=False)
    assert response.status_code == 404
    assert response.json() == envelope(("NOT_FOUND", "Campaign not found: '99999999'"))


@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_activity_must_be_a_boolean(client: httpx.AsyncClient, seller: Seller) -> None:
    response = await client.post(
        f"/sandbox/campaigns/{seller.campaign_id}/activity",
        json={"active": "no"},
        headers=SANDBOX,
    )
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", "Value of field active must be a boolean"))
    orders = await client.get(f"/v2/campaigns/{seller.campaign_id}/orders", headers=seller.headers)
    assert orders.status_code == 200


@pytest.mark.decision("The Sandbox-Token")
async def test_switching_needs_the_sandbox_token(client: httpx.AsyncClient, seller: Seller) -> None:
    response = await client.post(
        f"/sandbox/campaigns/{seller.campaign_id}/activity", json={"active": False}
    )
    assert response.status_code == 401
    orders = await client.get(f"/v2/campaigns/{seller.campaign_id}/orders", headers=seller.headers)
    assert orders.status_code == 200
