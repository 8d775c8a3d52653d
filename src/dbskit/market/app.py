"""create_market_app(): wiring only. Rules live in domain/, use cases in services/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dbskit.market.gateway import PartnerGateway
from dbskit.market.middleware import PartnerApiPaths
from dbskit.market.routes.delivery_services import router as delivery_services_router
from dbskit.market.routes.errors import install_error_handlers
from dbskit.market.runtime import Runtime
from dbskit.market.sandbox.access_routes import router as sandbox_access_router
from dbskit.market.sandbox.routes import router as sandbox_router


def create_market_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.prepare()
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="dbskit Market emulator",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(sandbox_router)
    app.include_router(sandbox_access_router)
    app.include_router(delivery_services_router)
    # Middleware added last runs first: paths are made canonical, then the gateway judges the
    # call. Request limits go in around_handler, the query log in around_call.
    app.add_middleware(
        PartnerGateway,
        access_cache=runtime.access_cache,
        clock=runtime.clock,
        around_call=(),
        around_handler=(),
    )
    app.add_middleware(PartnerApiPaths)
    return app
