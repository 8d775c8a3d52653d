"""Authorization by scope (R-077) and campaign access (R-078, OQ-13) for every operation.

The gateway is tested around a probe handler that echoes the resolved call, so the whole
operation table is covered whether or not a method's own handler exists; the real application
shows the same decisions for rejected calls.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from dbskit.app import create_app
from dbskit.contract.operations import OPERATIONS, Operation
from dbskit.contract.operations import Scope as AccessScope
from dbskit.market.domain.access import PartnerCall
from dbskit.market.gateway import PARTNER_CALL_KEY, PartnerGateway
from dbskit.market.routes._partner import PartnerRequest
from dbskit.market.runtime import Runtime
from dbskit.settings import Settings
from tests.conftest import envelope
from tests.factories import Seller, create_campaign, create_seller, create_token

NO_SCOPE = envelope(("FORBIDDEN", "Token does not have any of the scopes to access the API method"))


async def _probe(scope: Scope, _receive: Receive, send: Send) -> None:
    call: PartnerCall = scope["state"][PARTNER_CALL_KEY]
    body = {
        "operation": call.operation.operation_id,
        "businessId": call.business_id,
        "campaignId": call.campaign_id,
        "tokenId": call.token_id,
        "credential": call.credential.value,
        "scopes": sorted(call.scopes),
        "pathParams": call.path_params,
    }
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


@pytest.fixture
async def probe(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway of the running application in front of the probe handler."""
    runtime: Runtime = app.state.runtime
    gateway = PartnerGateway(
        app, partner_api=_probe, access_cache=runtime.access_cache, clock=runtime.clock
    )
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as http:
        yield http


def path_of(
    operation: Operation, campaign_id: int | str, order_id: str = "7", business_id: int = 0
) -> str:
    return (
        operation.path.replace("{campaignId}", str(campaign_id))
        .replace("{orderId}", order_id)
        .replace("{businessId}", str(business_id))
    )


async def call(
    http: httpx.AsyncClient, operation: Operation, path: str, key: str
) -> httpx.Response:
    return await http.request(operation.method, path, headers={"Api-Key": key}, json={})


def granted(operation: Operation, seller: Seller, token: dict[str, Any]) -> dict[str, Any]:
    params = {
        "campaignId": str(seller.campaign_id),
        "orderId": "7",
        "businessId": str(seller.business_id),
    }
    return {
        "operation": operation.operation_id,
        "businessId": seller.business_id,
        "campaignId": seller.campaign_id if operation.per_campaign else None,
        "tokenId": token["tokenId"],
        "credential": "API_KEY",
        "scopes": sorted(token["scopes"]),
        "pathParams": {k: v for k, v in params.items() if "{" + k + "}" in operation.path},
    }


@pytest.mark.rule("R-002", "R-016", "R-024", "R-077")
@pytest.mark.parametrize("scope", list(AccessScope), ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.operation_id)
async def test_scope_matrix(
    client: httpx.AsyncClient,
    probe: httpx.AsyncClient,
    operation: Operation,
    scope: AccessScope,
) -> None:
    """Each of the 14 scopes against each operation: the handler runs only with a listed scope."""
    campaign = await create_campaign(client)
    token = await create_token(client, campaign["businessId"], [scope])
    seller = Seller(campaign["businessId"], campaign["campaignId"], token["apiKey"])
    path = path_of(operation, seller.campaign_id, business_id=seller.business_id)
    response = await call(probe, operation, path, seller.api_key)
    if scope in operation.scopes:
        assert response.status_code == 200
        assert response.json() == granted(operation, seller, {**token, "scopes": [scope]})
    else:
        assert response.status_code == 403
        assert response.json() == NO_SCOPE


LIMITED_OPERATIONS = [operation for operation in OPERATIONS if set(AccessScope) - operation.scopes]


@pytest.mark.rule("R-002", "R-016", "R-024", "R-077")
@pytest.mark.parametrize("operation", LIMITED_OPERATIONS, ids=lambda op: op.operation_id)
async def test_the_application_refuses_a_token_without_the_scope(
    client: httpx.AsyncClient, operation: Operation
) -> None:
    outside = [scope for scope in AccessScope if scope not in operation.scopes]
    seller = await create_seller(client, outside)
    documented = operation.documented_path.replace("{businessId}", str(seller.business_id))
    path = documented.replace("{campaignId}", str(seller.campaign_id)).replace("{orderId}", "7")
    path += ".json"
    response = await call(client, operation, path, seller.api_key)
    assert response.status_code == 403
    assert response.json() == NO_SCOPE


@pytest.mark.rule("R-002", "R-077")
async def test_any_one_listed_scope_is_enough(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    operation = OPERATIONS[0]
    seller = await create_seller(
        client, [AccessScope.PRICING, AccessScope.INVENTORY_AND_ORDER_PROCESSING]
    )
    response = await call(probe, operation, path_of(operation, seller.campaign_id), seller.api_key)
    assert response.status_code == 200


@pytest.mark.rule("R-076")
async def test_oauth_tokens_are_not_limited_by_scope(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    campaign = await create_campaign(client)
    token = await create_token(client, campaign["businessId"], None, kind="OAUTH")
    for operation in OPERATIONS:
        response = await probe.request(
            operation.method,
            path_of(operation, campaign["campaignId"], business_id=campaign["businessId"]),
            headers={"Authorization": f"Bearer {token['oauthToken']}"},
        )
        assert response.status_code == 200, operation.operation_id
        assert response.json()["credential"] == "OAUTH"


CAMPAIGN_OPERATIONS = [operation for operation in OPERATIONS if operation.per_campaign]


@pytest.mark.rule("R-078", "OQ-13")
@pytest.mark.parametrize("operation", CAMPAIGN_OPERATIONS, ids=lambda op: op.operation_id)
async def test_a_campaign_of_another_business_is_403_access_denied(
    client: httpx.AsyncClient, probe: httpx.AsyncClient, operation: Operation
) -> None:
    mine = await create_seller(client)
    theirs = await create_campaign(client)
    response = await call(probe, operation, path_of(operation, theirs["campaignId"]), mine.api_key)
    assert response.status_code == 403
    assert response.json() == envelope(("FORBIDDEN", "Access denied"))


@pytest.mark.rule("R-076", "R-078", "OQ-13")
async def test_every_campaign_of_the_business_is_open_to_its_token(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    seller = await create_seller(client)
    second = await create_campaign(client, businessId=seller.business_id)
    operation = CAMPAIGN_OPERATIONS[0]
    response = await call(
        probe, operation, path_of(operation, second["campaignId"]), seller.api_key
    )
    assert response.status_code == 200
    assert response.json()["campaignId"] == second["campaignId"]


@pytest.mark.rule("R-078", "R-082", "OQ-13")
@pytest.mark.parametrize("operation", CAMPAIGN_OPERATIONS, ids=lambda op: op.operation_id)
async def test_an_unknown_campaign_is_404(
    client: httpx.AsyncClient, probe: httpx.AsyncClient, operation: Operation
) -> None:
    seller = await create_seller(client)
    response = await call(probe, operation, path_of(operation, 1), seller.api_key)
    assert response.status_code == 404
    assert response.json() == envelope(("NOT_FOUND", "Campaign not found: '1'"))


@pytest.mark.rule("R-078", "R-081")
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "Value of field campaignId must be an integer"),
        ("1.5", "Value of field campaignId must be an integer"),
        ("0", "Value / length of field campaignId (0) must be greater than or equal to 1"),
        ("-5", "Value / length of field campaignId (-5) must be greater than or equal to 1"),
        (
            "9223372036854775808",
            "Value / length of field campaignId (9223372036854775808) must be less than or equal "
            "to 9223372036854775807",
        ),
    ],
)
async def test_a_campaign_id_that_is_not_a_positive_int64_is_400(
    client: httpx.AsyncClient, probe: httpx.AsyncClient, raw: str, message: str
) -> None:
    seller = await create_seller(client)
    operation = CAMPAIGN_OPERATIONS[0]
    response = await call(probe, operation, path_of(operation, raw), seller.api_key)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))


@pytest.mark.rule("R-075", "R-077", "R-078")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
async def test_checks_run_in_order_authentication_scopes_campaign(
    client: httpx.AsyncClient,
) -> None:
    operation = CAMPAIGN_OPERATIONS[0]
    unknown_campaign = path_of(operation, "not-a-number")
    response = await client.request(operation.method, unknown_campaign)
    assert response.status_code == 401
    assert response.json() == envelope(("UNAUTHORIZED", "Credentials are not specified"))

    pricing_only = await create_seller(client, [AccessScope.PRICING])
    response = await call(client, operation, unknown_campaign, pricing_only.api_key)
    assert response.status_code == 403
    assert response.json() == NO_SCOPE


@pytest.mark.rule("R-078")
async def test_handlers_are_given_the_resolved_call(settings: Settings) -> None:
    application = create_app(settings)

    async def handler(partner: PartnerRequest) -> Response:
        call = partner.call
        body = {"businessId": call.business_id, "campaignId": call.campaign_id}
        return Response(json.dumps(body), media_type="application/json")

    application.state.partner_api.handlers["getOrders"] = handler
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as http:
            seller = await create_seller(http)
            response = await http.get(
                f"/v2/campaigns/{seller.campaign_id}/orders.json", headers=seller.headers
            )
    assert response.status_code == 200
    assert response.json() == {"businessId": seller.business_id, "campaignId": seller.campaign_id}
