"""create_store_app(): the store service's wiring. ``POST /cart`` and ``POST /notification`` at
its root; the notifications' job worker runs in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from starlette.applications import Starlette
from starlette.routing import Route

from dbskit.clock import Clock
from dbskit.settings import Settings
from dbskit.shop.cart import answer_cart
from dbskit.shop.deadline import INLINE_WORK_MAX, CartGuard
from dbskit.shop.errors import EXCEPTION_HANDLERS
from dbskit.shop.notifications import NOTIFICATION_PATH, NotificationEndpoint, StoreNotifications
from dbskit.shop.routes import CartEndpoint, reload
from dbskit.shop.service import Clock as ClockLike
from dbskit.shop.service import PushAuth, Responder, StoreService
from dbskit.shop.signals import install_sighup
from dbskit.store_data.loaders import load_store

CART_PATH = "/cart"
RELOAD_PATH = "/admin/reload"


def build_store_service(
    settings: Settings,
    *,
    clock: ClockLike | None = None,
    responder: Responder = answer_cart,
    freeze: bool = False,
    inline_work_max: int = INLINE_WORK_MAX,
) -> StoreService:
    """Load the store data named by ``settings`` (raises ``StoreDataError``) and wrap them."""
    loader = partial(load_store, settings.store_data, time_zone=settings.store_time_zone)
    token = settings.store_token.get_secret_value() if settings.store_token else None
    return StoreService(
        loader(),
        clock=clock or Clock(),
        loader=loader,
        auth=PushAuth(settings.store_auth_mode, token),
        guard=CartGuard(settings.store_cart_budget_seconds, inline_work_max=inline_work_max),
        responder=responder,
        freeze=freeze,
    )


def build_store_notifications(
    settings: Settings, *, clock: ClockLike | None = None
) -> StoreNotifications:
    """The store's notification side on ``settings``: its database opens on first need."""
    return StoreNotifications(settings, clock=clock or Clock())


def create_store_app(
    service: StoreService,
    *,
    handle_sighup: bool = False,
    notifications: StoreNotifications | None = None,
) -> Starlette:
    """``notifications``: the notification side; without it the store answers only /cart (the
    served store always has one: ``dbskit store serve``, ``dbskit serve``)."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with store_lifespan(
            service, handle_sighup=handle_sighup, notifications=notifications
        ):
            yield

    cart = CartEndpoint(service)
    routes = [
        Route(CART_PATH, cart, methods=["POST"]),
        Route(RELOAD_PATH, reload, methods=["POST"]),
    ]
    if notifications is not None:
        routes.append(
            Route(NOTIFICATION_PATH, NotificationEndpoint(notifications), methods=["POST"])
        )
    app = Starlette(
        routes=routes,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.store = service
    app.state.notifications = notifications
    return app


@asynccontextmanager
async def store_lifespan(
    service: StoreService,
    *,
    handle_sighup: bool,
    notifications: StoreNotifications | None = None,
) -> AsyncIterator[None]:
    """What a served store does around its life: SIGHUP reloads, the job worker runs (when the
    store has a database already, else from its first notification), and its workers stop
    after."""
    uninstall = install_sighup(service) if handle_sighup else None
    try:
        if notifications is not None:
            await notifications.start()
        yield
    finally:
        if uninstall is not None:
            uninstall()
        if notifications is not None:
            await notifications.close()
        service.close()
