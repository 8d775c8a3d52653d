"""GET /healthz: the database and Redis, each UP or DOWN; 503 when one is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.market.runtime import Runtime
from dbskit.settings import Settings
from tests.conftest import SANDBOX_TOKEN
from tests.e2e.server import stop
from tests.notification_listener import closed_port_url
from tests.redis_server import running_redis_process


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as http:
            yield http


def with_redis(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"redis_url": url})


@pytest.mark.decision("Health check")
async def test_up_without_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "database": "UP", "redis": "NOT_CONFIGURED"}


@pytest.mark.decision("Health check")
async def test_head_answers_the_same_status(client: httpx.AsyncClient) -> None:
    response = await client.head("/healthz")
    assert response.status_code == 200


@pytest.mark.decision("Health check")
async def test_up_with_redis_then_down_when_it_stops(settings: Settings) -> None:
    with running_redis_process() as (url, process):
        async with served(with_redis(settings, url)) as http:
            up = await http.get("/healthz")
            assert (up.status_code, up.json()) == (
                200,
                {"status": "UP", "database": "UP", "redis": "UP"},
            )
            stop(process)
            down = await http.get("/healthz")
            assert (down.status_code, down.json()) == (
                503,
                {"status": "DOWN", "database": "UP", "redis": "DOWN"},
            )


@pytest.mark.decision("Health check")
async def test_down_with_an_unreachable_redis(settings: Settings) -> None:
    unreachable = closed_port_url().replace("http://", "redis://") + "/0"
    async with served(with_redis(settings, unreachable)) as http:
        response = await http.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "DOWN", "database": "UP", "redis": "DOWN"}


@pytest.mark.decision("Health check")
async def test_down_when_the_database_fails(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime: Runtime = app.state.runtime

    async def unreachable(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("the database server is gone")

    monkeypatch.setattr(runtime.db, "run_read", unreachable)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "DOWN", "database": "DOWN", "redis": "NOT_CONFIGURED"}


@pytest.mark.decision("Health check")
@pytest.mark.decision("Query log")
async def test_needs_no_token_and_is_not_a_partner_api_call(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    log = await client.get("/sandbox/requests", headers={"Sandbox-Token": SANDBOX_TOKEN})
    assert log.json()["requests"] == []
