"""The served application: the Market emulator with its sandbox (the store mounts at /store)."""

from __future__ import annotations

from fastapi import FastAPI

from dbskit.market.app import create_market_app
from dbskit.market.runtime import Runtime
from dbskit.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Factory for ``uvicorn --factory``: settings come from DBSKIT_* variables when not given."""
    settings = settings or Settings()
    return create_market_app(Runtime.build(settings))
