"""Top-level Typer app: ``dbskit --help`` lists every command."""

from __future__ import annotations

import os
import shutil
from typing import ClassVar

import typer

from dbskit import __version__
from dbskit.cli._lazy import LazyCommand, LazyGroup

# --help is drawn at least this wide, so that the longest option names and DBSKIT_* variables are
# never cut short (rich draws 80 columns when the output is not a terminal).
HELP_MIN_WIDTH = 100


def _help_width() -> None:
    """Typer's help reads TERMINAL_WIDTH when it first draws; a width the user set wins."""
    columns = shutil.get_terminal_size((HELP_MIN_WIDTH, 24)).columns
    os.environ.setdefault("TERMINAL_WIDTH", str(max(columns, HELP_MIN_WIDTH)))


_help_width()


class _Commands(LazyGroup):
    """Every command of ``dbskit``, imported when it runs (``cli/_lazy.py``)."""

    LAZY: ClassVar[dict[str, LazyCommand]] = {
        "serve": LazyCommand(
            "dbskit.cli.serve:serve_command",
            "Run the Market emulator (Partner API + /sandbox) and the store (/store) on one port.",
        ),
        "check-cart": LazyCommand(
            "dbskit.cli.check_cart:check_cart",
            "Check a store's POST /cart the way the Market would; exit code 1 on any error.",
        ),
        "check-notifications": LazyCommand(
            "dbskit.cli.check_notifications:check_notifications",
            "Check a store's POST /notification the way the Market would; exit code 1 on any "
            "failure.",
        ),
        "sandbox": LazyCommand(
            "dbskit.cli.sandbox_group:app", "Drive a running emulator's /sandbox control plane."
        ),
        "store": LazyCommand(
            "dbskit.cli.store:app",
            "The seller's store service: POST /cart, POST /notification, the key vault.",
        ),
        "api": LazyCommand(
            "dbskit.cli.api:app",
            "Call the Partner API (the emulator by default) through dbskit's client.",
        ),
    }


app = typer.Typer(
    cls=_Commands,
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


def main() -> None:
    app()
