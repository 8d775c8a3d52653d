"""The served application: the Market emulator with its sandbox, and the store at /store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.utils import formatdate
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dbskit.cabinet import PREFIX as CABINET_PREFIX
from dbskit.cabinet import create_cabinet_app
from dbskit.clock import Clock
from dbskit.collector import settle_after_start
from dbskit.contract.errors import REASON_PHRASES
from dbskit.market.app import create_market_app
from dbskit.market.runtime import Runtime
from dbskit.settings import Settings
from dbskit.shop.app import (
    build_store_notifications,
    build_store_service,
    create_store_app,
    store_lifespan,
)
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
    install_reason_phrases()
    runtime = Runtime.build(settings)
    app = create_market_app(runtime)
    store = store or build_store_service(settings, clock=runtime.clock, freeze=handle_signals)
    # The store's notifications and their jobs, in the store's own database (never the Market's:
    # the sandbox's reset leaves it alone).
    notifications = build_store_notifications(settings, clock=runtime.clock)
    # Added last, so it runs before the Market's gateway, limits and query log.
    app.add_middleware(
        PrefixMount,
        mounted=create_store_app(store, notifications=notifications),
        prefix=STORE_PREFIX,
    )
    # The cabinet's pages are no Partner API calls either: mounted the same way, at /cabinet.
    app.add_middleware(PrefixMount, mounted=create_cabinet_app(runtime), prefix=CABINET_PREFIX)
    # Outermost: every answer's Date is the sandbox clock's (uvicorn's own is off, cli/serve.py).
    app.add_middleware(SandboxDate, clock=runtime.clock)
    app.state.store = store

    # Starlette does not run a mounted app's lifespan: the store's runs inside the Market's.
    market_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with (
            market_lifespan(application) as state,
            store_lifespan(store, handle_sighup=handle_signals, notifications=notifications),
        ):
            if handle_signals:  # the served process (tests share theirs with the test runner)
                settle_after_start()
            yield state

    app.router.lifespan_context = lifespan
    return app


class PrefixMount:
    """Sends every path under ``prefix`` straight to ``mounted``, as Starlette's ``Mount`` would.

    It mounts the store at ``/store`` and the cabinet at ``/cabinet``: neither is a Partner API
    call, so they skip the Market's layers (gateway, limits, query log) and answer as fast as
    they alone can. Every other path goes on to the Market.
    """

    def __init__(self, app: ASGIApp, *, mounted: ASGIApp, prefix: str) -> None:
        self.app = app
        self.mounted = mounted
        self.prefix = prefix
        self._below = prefix + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path.startswith(self._below) or path == self.prefix):
            root = scope.get("root_path", "")
            scope = dict(
                scope, root_path=root + self.prefix, app_root_path=scope.get("app_root_path", root)
            )
            await self.mounted(scope, receive, send)
            return
        await self.app(scope, receive, send)


class SandboxDate:
    """Writes the ``Date`` header of every answer from the sandbox clock.

    A client times its waits by the answer's ``Date`` (``X-RateLimit-Resource-Until`` minus
    ``Date``): after the sandbox clock has moved, wall time would be days away from the window
    the limiter counts in. The served process runs uvicorn without its own Date header, so each
    answer carries exactly one (docs/decisions.md, "The Date header").
    """

    def __init__(self, app: ASGIApp, *, clock: Clock) -> None:
        self.app = app
        self.clock = clock
        self._second = -1
        self._value = b""

    def _date(self) -> bytes:
        # Formatted once per second of the sandbox clock, as uvicorn does for wall time.
        now = self.clock.now().timestamp()
        second = int(now)
        if second != self._second:
            self._value = formatdate(second, usegmt=True).encode()
            self._second = second
        return self._value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [(b"date", self._date()), *message.get("headers", ())]
            await send(message)

        await self.app(scope, receive, send_with_date)


def create_served_app() -> FastAPI:
    """``dbskit serve``'s factory: SIGHUP reloads the store data."""
    return create_app(handle_signals=True)


def install_reason_phrases() -> None:
    """uvicorn takes status lines from ``http.HTTPStatus``, which has no 420: give it the
    Market's reason phrases (R-080; ``420 Enhance Your Calm``, C-11). Runs in every worker."""
    from uvicorn.protocols.http import h11_impl, httptools_impl

    for status, phrase in REASON_PHRASES.items():
        httptools_impl.STATUS_LINE[status] = b"HTTP/1.1 %d %s\r\n" % (status, phrase.encode())
        h11_impl.STATUS_PHRASES[status] = phrase.encode()
