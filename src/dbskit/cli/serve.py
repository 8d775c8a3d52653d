"""``dbskit serve``: the Market emulator with its sandbox, and the store at /store, on one port."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import typer

from dbskit.cli import _access_log as access_log
from dbskit.cli._bind import CannotListen, check_can_listen
from dbskit.cli._options import with_settings_options
from dbskit.cli._tokens import RefusedToServe, sandbox_token_for, secret, store_token_for
from dbskit.settings import Settings

if TYPE_CHECKING:
    from dbskit.store_data.data import StoreData

# The Market's runtime, the store data and the operation table are imported inside the
# functions that need them: ``dbskit --help`` imports this module and stays fast without them.

# uvicorn's protocol for each server (dbskit.transport), imported by uvicorn in every worker.
MARKET_PROTOCOL = "dbskit.transport:MarketHttpProtocol"
STORE_PROTOCOL = "dbskit.transport:StoreHttpProtocol"

_NO_DEMO_KEY = "(none: the demo business already holds 30 keys; revoke one and restart)"


def refuse_unless_can_listen(settings: Settings) -> None:
    """Stop with status 2 and the reason when the port cannot be bound: before any banner."""
    try:
        check_can_listen(settings.host, settings.port)
    except CannotListen as exc:
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None


@with_settings_options()
def serve_command(*, settings: Settings) -> None:
    """Run the Market emulator (Partner API + /sandbox) and the store (/store) on one port."""
    serve(settings)


def serve(settings: Settings) -> None:
    refuse_unless_can_listen(settings)
    try:
        settings = store_token_for(sandbox_token_for(settings))
    except RefusedToServe as exc:
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None
    store = check_store_data(settings)
    from dbskit.extras import MissingExtra
    from dbskit.market.runtime import Runtime

    try:
        runtime = Runtime.build(settings)
    except MissingExtra as exc:
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None
    runtime.prepare()
    runtime.db.dispose()
    runtime.log_db.dispose()

    host = display_host(settings.host)
    typer.echo(f"dbskit Market emulator on http://{host}:{settings.port}")
    typer.echo(f"  profile        {settings.profile.value}")
    typer.echo(f"  deprecations   {deprecations_summary(settings)}")
    typer.echo(f"  database       {_redacted(settings.resolved_database_url)}")
    if settings.resolved_query_log_url != settings.resolved_database_url:
        typer.echo(f"  query log      {_redacted(settings.resolved_query_log_url)}")
    typer.echo(f"  Sandbox-Token  {secret(settings.sandbox_token)}")
    typer.echo(f"  limit counters {limit_counters(settings)}")
    typer.echo(f"  store          http://{host}:{settings.port}/store/cart ({store})")
    typer.echo(
        f"  push token     {secret(settings.store_token)} ({settings.store_auth_mode.value})"
    )
    typer.echo(f"  notifications  http://{host}:{settings.port}/store/notification")
    typer.echo(f"  autopilot      {autopilot_line(settings)}")
    typer.echo(f"  cabinet        http://{host}:{settings.port}/cabinet")
    if runtime.demo is not None:
        demo = runtime.demo
        typer.echo(f"  demo business  {demo.business_id}, campaign {demo.campaign_id}")
        typer.echo(f"  demo Api-Key   {demo.api_key or _NO_DEMO_KEY}")

    import uvicorn

    os.environ.update(settings.to_env())
    uvicorn.run(
        "dbskit.app:create_served_app",
        factory=True,
        workers=settings.workers,
        # dbskit.app.SandboxDate writes Date from the sandbox clock; uvicorn's would be a second.
        **uvicorn_options(settings, date_header=False),
    )


# The logger of every store module (dbskit.shop): shown at INFO by both servers.
STORE_LOGGER = "dbskit.store"


def autopilot_line(settings: Settings) -> str:
    """The banner's account of the store's autopilot: on for which business, or why off."""
    if settings.store_api_key is None:
        return "off: no --store-api-key (notifications are kept, their orders wait)"
    if settings.store_business_id is None:
        return "off: no --store-business-id (notifications are kept, their orders wait)"
    return (
        f"business {settings.store_business_id} on {settings.store_market_url}, "
        f"cancellation requests: {settings.store_cancellation_policy}"
    )


def uvicorn_options(
    settings: Settings, *, http: str = MARKET_PROTOCOL, date_header: bool = True
) -> dict[str, Any]:
    """How every dbskit server runs: on uvloop accepting every waiting connection at once
    (``dbskit.event_loop``), httptools with dbskit's limits and error bodies
    (``dbskit.transport``), no WebSockets, with a lifespan; the access log only with
    ``--access-log``. ``date_header`` off: the app writes ``Date`` itself (the served app,
    from the sandbox clock)."""
    log_config = access_log.log_config()
    # The store's autopilot lines (keys delivered, late, out of keys) beside uvicorn's own.
    log_config["loggers"][STORE_LOGGER] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return {
        "host": settings.host,
        "port": settings.port,
        "loop": "dbskit.event_loop:PromptAcceptLoop",
        "http": http,
        "ws": "none",
        "access_log": settings.access_log,
        "log_config": log_config,
        "log_level": settings.log_level,
        "lifespan": "on",
        "date_header": date_header,
    }


def check_store_data(settings: Settings) -> str:
    """Load the store data once before serving, so a mistake is reported plainly and early."""
    from dbskit.store_data.loaders import StoreDataError, load_store

    try:
        data = load_store(settings.store_data, time_zone=settings.store_time_zone)
    except StoreDataError as exc:
        typer.echo(f"dbskit: the store data cannot be loaded:\n{exc}", err=True)
        raise typer.Exit(2) from None
    return describe(data)


def describe(data: StoreData) -> str:
    summary = data.summary()
    return f"{summary.offers} offers, {summary.regions} regions, {summary.source}"


def limit_counters(settings: Settings) -> str:
    """Where request limits are counted (R-083..R-086): shared only through Redis."""
    if settings.redis_url:
        return _redacted(settings.redis_url)
    if settings.workers > 1:
        return f"in each of the {settings.workers} workers apart (--redis-url shares them)"
    return "in this process"


def display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _redacted(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


def deprecations_summary(settings: Settings) -> str:
    """Whether the retiring methods fail on the sandbox clock, and from when (OQ-29)."""
    from dbskit.contract.operations import OPERATIONS
    from dbskit.market.domain.deprecations import deprecations_apply

    if not deprecations_apply(settings.profile, settings.deprecations):
        return "off"
    retiring = {op.operation_id: op.deprecation for op in OPERATIONS if op.deprecation}
    first = min(retiring.values(), key=lambda deprecation: deprecation.degradation_start)
    return (
        f"on ({', '.join(retiring)}: 1 call in {settings.deprecation_fail_every} fails from "
        f"{first.degradation_start}, every call from {first.shutdown})"
    )
