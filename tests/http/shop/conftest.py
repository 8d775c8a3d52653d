"""The store app alone over ASGI, on the demo data and a fixed sandbox clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from dbskit.settings import Settings
from dbskit.shop.app import build_store_service, create_store_app
from dbskit.shop.cart import answer_cart
from dbskit.shop.deadline import INLINE_WORK_MAX
from dbskit.shop.service import Responder, StoreService
from tests.cart_factories import fixed_clock

PUSH_TOKEN = "push-token-for-tests"


@pytest.fixture
def store_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def responder() -> Responder:
    return answer_cart


@pytest.fixture
def store_settings(tmp_path: Path, store_overrides: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "store_token": PUSH_TOKEN}
    values.update(store_overrides)
    return Settings(**values)


@pytest.fixture
def inline_work_max() -> int:
    return INLINE_WORK_MAX


@pytest.fixture
def store_service(
    store_settings: Settings, responder: Responder, inline_work_max: int
) -> StoreService:
    return build_store_service(
        store_settings, clock=fixed_clock(), responder=responder, inline_work_max=inline_work_max
    )


@pytest.fixture
async def store_app(store_service: StoreService) -> AsyncIterator[Starlette]:
    app = create_store_app(store_service)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def store_client(store_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=store_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://store.test") as http:
        yield http


@pytest.fixture
def push_headers() -> dict[str, str]:
    return {"Authorization": PUSH_TOKEN, "Content-Type": "application/json"}


def store_error(code: str, message: str) -> dict[str, Any]:
    """The OQ-18 body."""
    return {"error": {"code": code, "message": message}}
