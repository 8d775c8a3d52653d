"""``dbskit check-cart``: play the Market against a store's POST /cart and report what is wrong."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from dbskit.checker.pace import DEFAULT_CONCURRENCY
from dbskit.contract.sandbox_access import PushAuthMode

if TYPE_CHECKING:
    from dbskit.checker.runner import Progress

REFUSED_PUSH_HINT = (
    "dbskit: the store refused the push token on every call (401/403): check --token (the "
    "token the store expects; `dbskit store serve` prints its own and keeps it in "
    "<data-dir>/store-token) and --auth-mode (a bare Authorization header, or the auth-token "
    "parameter)"
)


class AuthMode(StrEnum):
    header = "header"
    url = "url"


def store_url(value: str) -> str:
    """The URL argument, refused up front unless it is an http(s) base URL with a host."""
    example = "e.g. http://127.0.0.1:8081 or https://shop.example/market/api"
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, an unclosed [IPv6 address
        valid = False
    if not valid:
        raise typer.BadParameter(
            f"{value!r} is not an http:// or https:// URL of a host ({example})"
        )
    if parts.query or parts.fragment:
        raise typer.BadParameter(
            f"{value!r} has a query or fragment; give the base URL the checker appends /cart to"
        )
    return value


def progress_line(progress: Progress) -> str:
    unanswered = f" ({progress.unanswered} without an answer)" if progress.unanswered else ""
    return (
        f"dbskit: {progress.done}/{progress.total} requests done after "
        f"{progress.elapsed:.0f} s{unanswered}"
    )


def _print_progress(progress: Progress) -> None:
    typer.echo(progress_line(progress), err=True)


def check_cart(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL",
            help="The store's base URL; the checker calls <URL>/cart (e.g. http://host:8081).",
            callback=store_url,
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
            "Without it the demo store's are used; without --feed too, its catalogue as well."
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1, help="Requests in flight at once; 1 for a store that takes one call at a time."
        ),
    ] = DEFAULT_CONCURRENCY,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable report.")
    ] = False,
) -> None:
    """Check a store's POST /cart the way the Market would; exit code 1 on any error."""
    from dbskit.checker.catalogue_checks import checks_for
    from dbskit.checker.report import has_errors, json_report, text_report, token_refused
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
    run = asyncio.run(
        check_store(
            target,
            scenarios,
            outlet_codes=outlet_codes(data),
            checks=checks_for(data),
            concurrency=concurrency,
            progress=_print_progress,
        )
    )
    typer.echo(json_report(run, url) if as_json else text_report(run, url))
    if token_refused(run):
        typer.echo(REFUSED_PUSH_HINT, err=True)
    if has_errors(run):
        raise typer.Exit(1)
