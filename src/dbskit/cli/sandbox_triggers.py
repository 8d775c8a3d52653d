"""``dbskit sandbox campaigns show|set`` and ``dbskit sandbox trigger <event>``: a campaign's
settings and the Market-side events on demand, from the shell.

Like the other sandbox commands (``cli/sandbox.py``), each sends one request and prints the
JSON answer; a refused request prints the error envelope on stderr and exits with status 1.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dbskit.cli._choices import BuyerReason, PushAuth
from dbskit.cli.sandbox import (
    DEFAULT_DATA_DIR,
    DEFAULT_URL,
    DataDir,
    SandboxToken,
    Url,
    _present,
    _send,
    campaigns,
)

triggers = typer.Typer(
    help="Market-side events on demand; each prints the notifications it queued.",
    no_args_is_help=True,
)
CampaignOption = Annotated[int, typer.Option(help="The campaign.")]
OrderOption = Annotated[int, typer.Option(help="The order.")]


def register(sandbox: typer.Typer) -> None:
    """Add ``trigger`` to ``dbskit sandbox`` (``campaigns show|set`` join on import)."""
    sandbox.add_typer(triggers, name="trigger")


@campaigns.command("show")
def show_campaign(
    campaign_id: Annotated[int, typer.Argument(help="The campaign.")],
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """A campaign's settings; prints {"campaignId", "businessId", "name", "active", ...}."""
    _send("GET", url, f"/sandbox/campaigns/{campaign_id}", sandbox_token, data_dir)


@campaigns.command("set")
def set_campaign(
    campaign_id: Annotated[int, typer.Argument(help="The campaign.")],
    name: Annotated[str | None, typer.Option(help="The campaign's name.")] = None,
    push_url: Annotated[str | None, typer.Option(help="The store's push API URL.")] = None,
    push_auth_token: Annotated[
        str | None, typer.Option(help="The token the Market sends to the store.")
    ] = None,
    push_auth_mode: Annotated[PushAuth | None, typer.Option(help="How the token is sent.")] = None,
    notification_url: Annotated[
        str | None,
        typer.Option(help="Where API notifications go; a new one gets a PING (R-117)."),
    ] = None,
    clear_push_url: Annotated[bool, typer.Option(help="Remove the push URL.")] = False,
    clear_push_auth_token: Annotated[bool, typer.Option(help="Remove the push token.")] = False,
    clear_notification_url: Annotated[
        bool, typer.Option(help="Remove the notification URL (notifications off).")
    ] = False,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Change a campaign's settings; prints the campaign as "campaigns show" does."""
    body: dict[str, Any] = _present(
        name=name,
        pushUrl=push_url,
        pushAuthToken=push_auth_token,
        pushAuthMode=push_auth_mode,
        notificationUrl=notification_url,
    )
    for flag, field, given in (
        (clear_push_url, "pushUrl", push_url),
        (clear_push_auth_token, "pushAuthToken", push_auth_token),
        (clear_notification_url, "notificationUrl", notification_url),
    ):
        if flag and given is not None:
            raise typer.BadParameter(f"give {field} or clear it, not both")
        if flag:
            body[field] = None
    if not body:
        raise typer.BadParameter("nothing to change: give at least one setting")
    path = f"/sandbox/campaigns/{campaign_id}"
    _send("PATCH", url, path, sandbox_token, data_dir, json=body)


@triggers.command("ping")
def trigger_ping(
    campaign_id: CampaignOption,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """A PING to the campaign's notification URL (R-117)."""
    path = f"/sandbox/campaigns/{campaign_id}/triggers/ping"
    _send("POST", url, path, sandbox_token, data_dir)


@triggers.command("buyer-cancellation")
def trigger_buyer_cancellation(
    campaign_id: CampaignOption,
    order_id: OrderOption,
    reason: Annotated[BuyerReason, typer.Option(show_default=True, help="The buyer's reason.")] = (
        "USER_CHANGED_MIND"
    ),
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The buyer cancels: at once while PROCESSING, a request once DELIVERY/PICKUP (R-102)."""
    path = _order_trigger(campaign_id, order_id, "buyer-cancellation")
    _send("POST", url, path, sandbox_token, data_dir, json={"reason": reason})


@triggers.command("buyer-received")
def trigger_buyer_received(
    campaign_id: CampaignOption,
    order_id: OrderOption,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The buyer confirms receipt (DELIVERY/USER_RECEIVED)."""
    path = _order_trigger(campaign_id, order_id, "buyer-received")
    _send("POST", url, path, sandbox_token, data_dir)


@triggers.command("delivery-date-change")
def trigger_delivery_date_change(
    campaign_id: CampaignOption,
    order_id: OrderOption,
    from_date: Annotated[str, typer.Option(help="The new first day, DD-MM-YYYY.")],
    to_date: Annotated[str | None, typer.Option(help="The new last day, DD-MM-YYYY.")] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The Market moves the delivery dates: ORDER_UPDATED (DELIVERY_DATE_UPDATED)."""
    path = _order_trigger(campaign_id, order_id, "delivery-date-change")
    body = _present(fromDate=from_date, toDate=to_date)
    _send("POST", url, path, sandbox_token, data_dir, json=body)


def _order_trigger(campaign_id: int, order_id: int, event: str) -> str:
    return f"/sandbox/campaigns/{campaign_id}/orders/{order_id}/triggers/{event}"
