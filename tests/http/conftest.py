"""Fixtures of the order tests: two sellers and a sandbox clock frozen at ``FROZEN_AT``."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.orders_support import FrozenWall, Shops, freeze_clock, make_shops


@pytest.fixture
async def shops(client: httpx.AsyncClient, sandbox_headers: dict[str, str]) -> Shops:
    return await make_shops(client, sandbox_headers)


@pytest.fixture
def wall(app: FastAPI, shops: Shops, monkeypatch: pytest.MonkeyPatch) -> FrozenWall:
    return freeze_clock(app, monkeypatch)
