"""``dbskit check-notifications``: play the Market against a store's POST /notification."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import urlsplit

import typer

from dbskit.checker.notification_probes import (
    DEFAULT_CAMPAIGN_ID,
    DEFAULT_ORDER_ID,
    NOTIFICATION_DEADLINE,
    PING_DEADLINE,
)

URL_EXAMPLE = "e.g. http://127.0.0.1:8485 or https://shop.example/market"


def notification_url(value: str) -> str:
    """The URL argument, refused up front unless it is an http(s) base URL with a host."""
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, an unclosed [IPv6 address
        valid = False
    if not valid:
        raise typer.BadParameter(
            f"{value!r} is not an http:// or https:// URL of a host ({URL_EXAMPLE})"
        )
    if parts.query or parts.fragment:
        raise typer.BadParameter(
            f"{value!r} has a query or fragment; give the store's URL as configured in the "
            "Market, the checker appends /notification to it"
        )
    return value


def check_notifications(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL",
            help="The store's URL as configured in the Market; the checker calls "
            "<URL>/notification (e.g. http://host:8485).",
            callback=notification_url,
        ),
    ],
    order_notifications: Annotated[
        bool,
        typer.Option(
            "--order-notifications",
            help="Also send one notification of each order type, and ORDER_CREATED twice. A "
            "real store may act on them: point --campaign-id/--order-id at a test order.",
        ),
    ] = False,
    campaign_id: Annotated[
        int, typer.Option(min=1, help="The campaign the order notifications name.")
    ] = DEFAULT_CAMPAIGN_ID,
    order_id: Annotated[
        int, typer.Option(min=1, help="The order the order notifications name.")
    ] = DEFAULT_ORDER_ID,
    ping_timeout_seconds: Annotated[
        float,
        typer.Option(
            min=0.001,
            max=NOTIFICATION_DEADLINE,
            help="The PING's deadline: 1 s as the 2026 notification spec gives it (C-13); "
            "10 for the docs page's.",
        ),
    ] = PING_DEADLINE,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable report.")
    ] = False,
) -> None:
    """Check a store's POST /notification the way the Market would; exit code 1 on any failure."""
    from dbskit.checker.notification_report import has_failures, json_report, text_report
    from dbskit.checker.notifications import OrderTarget, check_notifications

    orders = OrderTarget(campaign_id, order_id) if order_notifications else None
    run = asyncio.run(check_notifications(url, orders=orders, ping_deadline=ping_timeout_seconds))
    report = json_report if as_json else text_report
    typer.echo(report(run.exchanges, run.results))
    if has_failures(run.results):
        raise typer.Exit(1)
