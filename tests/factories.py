"""Builders for the things most tests need: a campaign and a token, made through /sandbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from dbskit.contract.operations import Scope
from dbskit.market.runtime import Runtime
from tests.conftest import SANDBOX_TOKEN

SANDBOX = {"Sandbox-Token": SANDBOX_TOKEN}


@dataclass(frozen=True)
class Seller:
    """A business with one campaign and one Api-Key."""

    business_id: int
    campaign_id: int
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Api-Key": self.api_key}


async def create_campaign(client: httpx.AsyncClient, **body: Any) -> dict[str, int]:
    response = await client.post("/sandbox/campaigns", json=body, headers=SANDBOX)
    assert response.status_code == 201, response.text
    created: dict[str, int] = response.json()
    return created


async def create_token(
    client: httpx.AsyncClient,
    business_id: int,
    scopes: Iterable[Scope | str] | None = (Scope.ALL_METHODS,),
    *,
    kind: str = "API_KEY",
) -> dict[str, Any]:
    body: dict[str, Any] = {"businessId": business_id, "type": kind}
    if scopes is not None:
        body["scopes"] = [str(scope) for scope in scopes]
    response = await client.post("/sandbox/tokens", json=body, headers=SANDBOX)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_seller(
    client: httpx.AsyncClient, scopes: Iterable[Scope | str] = (Scope.ALL_METHODS,)
) -> Seller:
    campaign = await create_campaign(client)
    token = await create_token(client, campaign["businessId"], scopes)
    return Seller(campaign["businessId"], campaign["campaignId"], token["apiKey"])


async def revoke(client: httpx.AsyncClient, **body: str) -> httpx.Response:
    return await client.post("/sandbox/tokens/revoke", json=body, headers=SANDBOX)


def runtime_of(app: FastAPI) -> Runtime:
    """The running emulator's runtime (its database, clock, demo seller)."""
    runtime: Runtime = app.state.runtime
    return runtime


def demo_of(app: FastAPI) -> tuple[int, str]:
    """The demo seller's campaign id and Api-Key."""
    demo = runtime_of(app).demo
    assert demo is not None and demo.api_key is not None
    return demo.campaign_id, demo.api_key
