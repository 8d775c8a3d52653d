"""Top-level Typer app: ``dbskit --help`` lists every command."""

from __future__ import annotations

import typer

from dbskit import __version__
from dbskit.cli import sandbox_triggers
from dbskit.cli import serve as serve_module
from dbskit.cli import store as store_module
from dbskit.cli._options import with_settings_options
from dbskit.cli.api import app as api_app
from dbskit.cli.check_cart import check_cart
from dbskit.cli.sandbox import app as sandbox_app
from dbskit.settings import Settings

app = typer.Typer(
    name="dbskit",
    help="Yandex.Market DBS order flow: a Partner API emulator and a POST /cart store service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dbskit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Every option is also a DBSKIT_* environment variable with the same meaning."""


@app.command()
@with_settings_options()
def serve(*, settings: Settings) -> None:
    """Run the Market emulator (Partner API + /sandbox) and the store (/store) on one port."""
    serve_module.serve(settings)


app.command("check-cart")(check_cart)
app.add_typer(sandbox_app, name="sandbox")
sandbox_triggers.register(sandbox_app)
app.add_typer(store_module.app, name="store")
app.add_typer(api_app, name="api")


def main() -> None:
    app()
