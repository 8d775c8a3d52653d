"""create_market_app(): wiring only. Rules live in domain/, use cases in services/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from dbskit.market.deprecated_methods import DeprecatedMethods
from dbskit.market.dispatch import PartnerApi
from dbskit.market.domain.deprecations import deprecations_apply
from dbskit.market.gateway import Layer, PartnerGateway
from dbskit.market.health import router as health_router
from dbskit.market.limits.middleware import PartnerApiLimits
from dbskit.market.query_log.recorder import QueryLogRecorder
from dbskit.market.routes.errors import install_error_handlers
from dbskit.market.routes.handlers import PARTNER_HANDLERS
from dbskit.market.runtime import Runtime
from dbskit.market.sandbox._guard import SandboxGate
from dbskit.market.sandbox.access_routes import router as sandbox_access_router
from dbskit.market.sandbox.campaign_routes import router as sandbox_campaign_router
from dbskit.market.sandbox.checkout import router as sandbox_checkout_router
from dbskit.market.sandbox.docs_routes import router as sandbox_docs_router
from dbskit.market.sandbox.faults_layer import FaultInjection
from dbskit.market.sandbox.orders import router as sandbox_orders_router
from dbskit.market.sandbox.routes import router as sandbox_router
from dbskit.market.sandbox.trigger_routes import router as sandbox_trigger_router


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
        # A path with a trailing slash is another path: the 404 envelope, not a 307 redirect
        # without one, and no second routing pass on every unknown path.
        redirect_slashes=False,
        # dbskit exports no telemetry; FastAPI's checks for OpenTelemetry providers would run
        # on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(sandbox_router)
    app.include_router(sandbox_orders_router)
    app.include_router(sandbox_checkout_router)
    app.include_router(sandbox_access_router)
    app.include_router(sandbox_campaign_router)
    app.include_router(sandbox_trigger_router)
    app.include_router(sandbox_docs_router)
    # The Partner API has no FastAPI routes: the gateway matches the operation once and its
    # handler runs from the table. FastAPI serves the /sandbox control plane.
    partner_api = PartnerApi(runtime, PARTNER_HANDLERS)
    app.state.partner_api = partner_api
    # Middleware added last runs first: the query log records the call as the caller spelled
    # it, the gateway judges the call, the limits admit it, and a retired method may refuse it.
    settings = runtime.settings
    around_handler: list[Layer] = [
        # The sandbox's faults first: a faulted call spends no budget.
        partial(FaultInjection, faults=runtime.faults, limiter=runtime.limiter),
        partial(PartnerApiLimits, limiter=runtime.limiter),
    ]
    if deprecations_apply(settings.profile, settings.deprecations):
        around_handler.append(
            partial(
                DeprecatedMethods,
                clock=runtime.clock,
                fail_every=settings.deprecation_fail_every,
            )
        )
    app.add_middleware(
        PartnerGateway,
        partner_api=partner_api,
        access_cache=runtime.access_cache,
        clock=runtime.clock,
        body_read_timeout=settings.body_read_timeout,
        around_call=(),
        around_handler=around_handler,
    )
    app.add_middleware(QueryLogRecorder, writer=runtime.query_log, clock=runtime.clock)
    # The control plane asks for its token before routing: no 404 or 405 shows its shape.
    app.add_middleware(SandboxGate, token=settings.sandbox_token)
    return app
