"""``dbskit store serve``: the store service alone, ``POST /cart`` at its root."""

from __future__ import annotations

import typer

from dbskit.cli._options import with_settings_options
from dbskit.cli._tokens import RefusedToServe, secret, store_token_for
from dbskit.cli.serve import STORE_PROTOCOL, describe, display_host, uvicorn_options
from dbskit.settings import Settings
from dbskit.store_data.loaders import StoreDataError

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
}

app = typer.Typer(
    name="store",
    help="The seller's store service that answers the Market's POST /cart.",
    no_args_is_help=True,
)


@app.command("serve")
@with_settings_options(STORE_OPTIONS)
def serve_store(*, settings: Settings) -> None:
    """Run the store alone: POST /cart and POST /admin/reload; SIGHUP reloads the data."""
    try:
        settings = store_token_for(settings)
    except RefusedToServe as exc:
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None
    from dbskit.shop.app import build_store_service, create_store_app

    try:
        service = build_store_service(settings, freeze=True)
    except StoreDataError as exc:
        typer.echo(f"dbskit: the store data cannot be loaded:\n{exc}", err=True)
        raise typer.Exit(2) from None
    host = display_host(settings.host)
    typer.echo(f"dbskit store on http://{host}:{settings.port}/cart ({describe(service.data)})")
    typer.echo(
        f"  push token     {secret(settings.store_token)} ({settings.store_auth_mode.value})"
    )
    typer.echo(f"  time zone      {service.data.settings.time_zone.key}")

    import uvicorn

    uvicorn.run(
        create_store_app(service, handle_sighup=True),
        **uvicorn_options(settings, http=STORE_PROTOCOL),
    )
