"""``dbskit store serve``: the store service alone, ``POST /cart`` and ``POST /notification`` at
its root; ``dbskit store status``: what needs the seller."""

from __future__ import annotations

import typer

from dbskit.cli._options import with_settings_options
from dbskit.cli._tokens import RefusedToServe, secret, store_token_for
from dbskit.cli.serve import (
    STORE_PROTOCOL,
    autopilot_line,
    describe,
    display_host,
    refuse_unless_can_listen,
    uvicorn_options,
)
from dbskit.cli.store_keys import app as keys_app
from dbskit.settings import DEFAULT_PORT, Settings

# The store alone listens beside ``dbskit serve`` (8484) by default, so both run out of the box.
STORE_DEFAULT_PORT = DEFAULT_PORT + 1

STORE_OPTIONS = {
    "host",
    "port",
    "data_dir",
    "log_level",
    "store_data",
    "store_token",
    "store_auth_mode",
    "store_time_zone",
    "store_cart_budget_seconds",
    "store_database_url",
    "sqlite_synchronous",
    "store_market_url",
    "store_api_key",
    "store_business_id",
    "store_cancellation_policy",
    "store_notify_allowlist",
    "store_slip_templates",
    "store_job_lease_seconds",
}
# Where `dbskit store status` reads: the store's database.
STATUS_OPTIONS = {"data_dir", "store_database_url", "sqlite_synchronous"}

app = typer.Typer(
    name="store",
    help="The seller's store service: POST /cart, POST /notification, the key vault.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")  # dbskit store keys import | status | export


@app.command("serve")
@with_settings_options(STORE_OPTIONS, defaults={"port": STORE_DEFAULT_PORT})
def serve_store(*, settings: Settings) -> None:
    """Run the store alone: POST /cart, POST /notification (the autopilot delivers digital
    keys) and POST /admin/reload; SIGHUP reloads the data."""
    settings = with_store_port(settings)
    refuse_unless_can_listen(settings)
    try:
        settings = store_token_for(settings)
    except RefusedToServe as exc:
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None
    from dbskit.shop.app import build_store_notifications, build_store_service, create_store_app
    from dbskit.shop.autopilot.slips import SlipTemplateError
    from dbskit.store_data.loaders import StoreDataError

    try:
        service = build_store_service(settings, freeze=True)
    except StoreDataError as exc:
        typer.echo(f"dbskit: the store data cannot be loaded:\n{exc}", err=True)
        raise typer.Exit(2) from None
    try:
        notifications = build_store_notifications(settings)
    except SlipTemplateError as exc:
        typer.echo(f"dbskit: --store-slip-templates: {exc}", err=True)
        raise typer.Exit(2) from None
    host = display_host(settings.host)
    typer.echo(f"dbskit store on http://{host}:{settings.port}/cart ({describe(service.data)})")
    typer.echo(
        f"  push token     {secret(settings.store_token)} ({settings.store_auth_mode.value})"
    )
    typer.echo(f"  time zone      {service.data.settings.time_zone.key}")
    typer.echo(f"  notifications  http://{host}:{settings.port}/notification")
    typer.echo(f"    taken from   {notifications.allowlist.describe()}")
    typer.echo(f"  autopilot      {autopilot_line(settings)}")

    import uvicorn

    uvicorn.run(
        create_store_app(service, handle_sighup=True, notifications=notifications),
        **uvicorn_options(settings, http=STORE_PROTOCOL),
    )


def with_store_port(settings: Settings) -> Settings:
    """The store's own default port unless ``--port`` or ``DBSKIT_PORT`` chose one."""
    if "port" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"port": STORE_DEFAULT_PORT})


@app.command("status")
@with_settings_options(STATUS_OPTIONS)
def status_command(*, settings: Settings) -> None:
    """What needs the seller: orders to act on (out of keys, STEAM_GIFT, CHAT, cancellation
    requests), late deliveries and the jobs waiting, each with its reason."""
    from dbskit.shop.autopilot.status import store_status_lines
    from dbskit.shop.storage.database import open_store_database

    db = open_store_database(settings)
    try:
        for line in store_status_lines(db):
            typer.echo(line)
    finally:
        db.dispose()
