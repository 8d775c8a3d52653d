"""The served application: the Market emulator with its sandbox, and the store at /store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from dbskit.market.app import create_market_app
from dbskit.market.runtime import Runtime
from dbskit.settings import Settings
from dbskit.shop.app import build_store_service, create_store_app, store_lifespan
from dbskit.shop.service import StoreService

STORE_PREFIX = "/store"


def create_app(
    settings: Settings | None = None,
    *,
    store: StoreService | None = None,
    handle_signals: bool = False,
) -> FastAPI:
    """Factory for ``uvicorn --factory``: settings come from DBSKIT_* variables when not given.

    The store shares the Market's sandbox clock, so moving the clock moves delivery dates.
    """
    settings = settings or Settings()
    runtime = Runtime.build(settings)
    app = create_market_app(runtime)
    store = store or build_store_service(settings, clock=runtime.clock, freeze=handle_signals)
    app.mount(STORE_PREFIX, create_store_app(store))
    app.state.store = store

    # Starlette does not run a mounted app's lifespan: the store's runs inside the Market's.
    market_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with (
            market_lifespan(application) as state,
            store_lifespan(store, handle_sighup=handle_signals),
        ):
            yield state

    app.router.lifespan_context = lifespan
    return app


def create_served_app() -> FastAPI:
    """``dbskit serve``'s factory: SIGHUP reloads the store data."""
    return create_app(handle_signals=True)
