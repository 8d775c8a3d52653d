"""``dbskit check-cart``: play the Market against a store's POST /cart and report what is wrong."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dbskit.contract.sandbox_access import PushAuthMode


class AuthMode(StrEnum):
    header = "header"
    url = "url"


def check_cart(
    url: Annotated[
        str,
        typer.Argument(
            help="The store's base URL; the checker calls <URL>/cart (e.g. http://host:8081)."
        ),
    ],
    token: Annotated[str, typer.Option(help="The push token the store expects (R-039).")],
    auth_mode: Annotated[
        AuthMode,
        typer.Option(
            help="How the token travels: a bare Authorization header, or the auth-token parameter."
        ),
    ] = AuthMode.header,
    feed: Annotated[
        Path | None,
        typer.Option(help="The store's catalogue (YML or CSV) the requests are built from."),
    ] = None,
    regions: Annotated[
        Path | None,
        typer.Option(
            help="The store's settings file (regions, rules, outlets; TOML or YAML). "
            "Without --feed and --regions the demo store's data are used."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable report.")
    ] = False,
) -> None:
    """Check a store's POST /cart the way the Market would; exit code 1 on any error."""
    from dbskit.checker.report import has_errors, json_report, text_report
    from dbskit.checker.runner import Target, check_store
    from dbskit.checker.scenarios import NotEnoughData, build_scenarios, load_data, outlet_codes
    from dbskit.store_data.loaders import StoreDataError

    try:
        data = load_data(feed, regions)
        scenarios = build_scenarios(data)
    except StoreDataError as exc:
        typer.echo(f"dbskit: the store data cannot be loaded:\n{exc}", err=True)
        raise typer.Exit(2) from None
    except NotEnoughData as exc:
        typer.echo(f"dbskit: the store data cannot drive the checks: {exc}", err=True)
        raise typer.Exit(2) from None
    mode = PushAuthMode.URL if auth_mode is AuthMode.url else PushAuthMode.HEADER
    target = Target(url, token, mode)
    run = asyncio.run(check_store(target, scenarios, outlet_codes=outlet_codes(data)))
    typer.echo(json_report(run, url) if as_json else text_report(run, url))
    if has_errors(run):
        raise typer.Exit(1)
