"""``dbskit sandbox ...``: the /sandbox control plane of a running emulator, from the shell.

Each command sends one request and prints the JSON answer; a refused request prints the error
envelope on stderr and exits with status 1. The server is ``--url``, else ``DBSKIT_URL``, else
the local default; the Sandbox-Token comes from ``--sandbox-token``, then
``DBSKIT_SANDBOX_TOKEN``, then the ``sandbox-token`` file of ``--data-dir``. Every command module
of ``dbskit sandbox`` takes these three options (``Url``, ``SandboxToken``, ``DataDir``, under
the "Connection" panel of ``--help``) and imports httpx only when it sends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer

from dbskit.cli._choices import (
    Fault,
    OrderDeliveryType,
    PushAuth,
    StartStatus,
    TokenKind,
)
from dbskit.cli._tokens import SANDBOX_TOKEN_FILE
from dbskit.contract.enums import BuyerType, OrderStatus
from dbskit.contract.operations import Scope
from dbskit.private_files import read_private

if TYPE_CHECKING:
    import httpx

# dbskit serve's address on its default port (settings.DEFAULT_PORT; tests/unit/test_cli.py holds
# them equal): written out so that a sandbox command does not import the settings.
DEFAULT_URL = "http://127.0.0.1:8484"
TIMEOUT_SECONDS = 30.0

app = typer.Typer(help="Drive a running emulator's /sandbox control plane.", no_args_is_help=True)
campaigns = typer.Typer(help="Businesses and campaigns (DBS stores).", no_args_is_help=True)
tokens = typer.Typer(help="Api-Key and OAuth tokens.", no_args_is_help=True)
orders = typer.Typer(help="Test orders and the Market's own status moves.", no_args_is_help=True)
app.add_typer(campaigns, name="campaigns")
app.add_typer(tokens, name="tokens")
app.add_typer(orders, name="orders")
faults = typer.Typer(
    help="Fault rules: 420s, 5xx answers, dropped connections, latency.", no_args_is_help=True
)
app.add_typer(faults, name="faults")

_SCOPES = "Scopes: " + ", ".join(scope.value for scope in Scope) + "."
CONNECTION = "Connection"  # the --help panel of the options that say which server and how
Url = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="DBSKIT_URL",
        show_default=True,
        rich_help_panel=CONNECTION,
        help="The emulator's base URL.",
    ),
]
SandboxToken = Annotated[
    str | None,
    typer.Option(
        "--sandbox-token",
        envvar="DBSKIT_SANDBOX_TOKEN",
        rich_help_panel=CONNECTION,
        help="The Sandbox-Token; the data dir's sandbox-token file when left out.",
    ),
]
DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="DBSKIT_DATA_DIR",
        show_default=True,
        rich_help_panel=CONNECTION,
        help="Where to find the sandbox-token file when no token is given.",
    ),
]


def _one_of(choices: Any) -> str:
    """The values of a ``Literal`` for a help text (a long ``<A|B|...>`` metavar wraps badly)."""
    return ", ".join(get_args(choices))


_SEE_STATUSES = "`dbskit sandbox statuses` lists the substatuses of each status."
DEFAULT_DATA_DIR = Path(".dbskit")


def _post(url: str, path: str, body: dict[str, Any], token: str | None, data_dir: Path) -> None:
    _send("POST", url, path, token, data_dir, json=body)


def _send(
    method: str, url: str, path: str, token: str | None, data_dir: Path, **request: Any
) -> None:
    typer.echo(_request(method, url, path, token, data_dir, **request).text)


def _request(
    method: str, url: str, path: str, token: str | None, data_dir: Path, **request: Any
) -> httpx.Response:
    """The server's successful answer; a refusal (stderr, exit 1) or no server (exit 2) ends the
    command."""
    token = token or read_private(data_dir / SANDBOX_TOKEN_FILE)
    if token is None:
        typer.echo(
            "dbskit: no sandbox token: pass --sandbox-token, set DBSKIT_SANDBOX_TOKEN or "
            f"point --data-dir at the server's data dir (no {data_dir / SANDBOX_TOKEN_FILE})",
            err=True,
        )
        raise typer.Exit(2)
    import httpx  # here, not at the top: ``dbskit serve`` starts faster without it

    try:
        response = httpx.request(
            method,
            url.rstrip("/") + path,
            headers={"Sandbox-Token": token},
            timeout=TIMEOUT_SECONDS,
            **request,
        )
    except httpx.HTTPError as exc:
        typer.echo(f"dbskit: cannot reach {url}: {exc}", err=True)
        raise typer.Exit(2) from None
    if response.is_success:
        return response
    typer.echo(response.text, err=True)
    raise typer.Exit(1)


def _present(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@campaigns.command("create")
def create_campaign(
    name: Annotated[str | None, typer.Option(help="Campaign (and new business) name.")] = None,
    business_id: Annotated[
        int | None, typer.Option(help="An existing business; a new one when left out.")
    ] = None,
    push_url: Annotated[str | None, typer.Option(help="The store's push API URL.")] = None,
    push_auth_token: Annotated[
        str | None, typer.Option(help="The token the Market sends to the store.")
    ] = None,
    push_auth_mode: Annotated[PushAuth | None, typer.Option(help="How the token is sent.")] = None,
    notification_url: Annotated[
        str | None, typer.Option(help="Where API notifications go.")
    ] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Create a DBS campaign; prints {"businessId", "campaignId"}."""
    body = _present(
        name=name,
        businessId=business_id,
        pushUrl=push_url,
        pushAuthToken=push_auth_token,
        pushAuthMode=push_auth_mode,
        notificationUrl=notification_url,
    )
    _post(url, "/sandbox/campaigns", body, sandbox_token, data_dir)


@campaigns.command("activity")
def set_campaign_activity(
    campaign_id: Annotated[int, typer.Argument(help="The campaign.")],
    active: Annotated[
        bool, typer.Option("--active/--inactive", help="Open or close its API (R-079).")
    ],
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Make a campaign's store active or inactive; prints {"campaignId", "active"}."""
    path = f"/sandbox/campaigns/{campaign_id}/activity"
    _post(url, path, {"active": active}, sandbox_token, data_dir)


@tokens.command("create")
def create_token(
    business_id: Annotated[int, typer.Option(help="The business the token opens.")],
    scopes: Annotated[
        list[str] | None,
        typer.Option("--scope", help=f"A scope of an Api-Key; repeat for several. {_SCOPES}"),
    ] = None,
    token_type: Annotated[TokenKind, typer.Option("--type", show_default=True)] = "API_KEY",  # noqa: S107 - a kind, not a secret
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Issue a token; prints {"tokenId", "type", "apiKey" or "oauthToken"}."""
    body = _present(businessId=business_id, type=token_type, scopes=scopes or None)
    _post(url, "/sandbox/tokens", body, sandbox_token, data_dir)


@tokens.command("revoke")
def revoke_token(
    api_key: Annotated[str | None, typer.Option(help="The Api-Key to revoke.")] = None,
    oauth_token: Annotated[str | None, typer.Option(help="Or the OAuth token.")] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Revoke a token; prints {"status": "OK"}."""
    body = _present(apiKey=api_key, oauthToken=oauth_token)
    _post(url, "/sandbox/tokens/revoke", body, sandbox_token, data_dir)


_MARKINGS = frozenset({"CIS", "UIN", "RNPT", "GTD"})


def parse_item(spec: str) -> dict[str, Any]:
    """``OFFER_ID:COUNT:PRICE[:MARKING]``; the offer id may itself contain colons."""
    parts = spec.split(":")
    marking = parts.pop() if len(parts) >= 4 and parts[-1] in _MARKINGS else None
    if len(parts) < 3 or not parts[-2].isdigit():
        raise typer.BadParameter(f"{spec!r}: expected OFFER_ID:COUNT:PRICE[:MARKING]")
    *offer, count, price = parts
    try:
        amount: int | float = int(price) if price.isdigit() else float(price)
    except ValueError:
        raise typer.BadParameter(f"{spec!r}: the price {price!r} is not a number") from None
    return _present(offerId=":".join(offer), count=int(count), price=amount, marking=marking)


@orders.command("create")
def create_order(
    campaign_id: Annotated[int, typer.Option(help="The campaign that receives the order.")],
    items: Annotated[
        list[str],
        typer.Option(
            "--item",
            help="OFFER_ID:COUNT:PRICE[:MARKING] (MARKING: CIS, UIN, RNPT or GTD); repeatable.",
        ),
    ],
    delivery_type: Annotated[
        OrderDeliveryType,
        typer.Option(metavar="TYPE", show_default=True, help=_one_of(OrderDeliveryType)),
    ] = "DELIVERY",
    service_id: Annotated[
        int | None, typer.Option(help="A delivery service of GET v2/delivery/services.")
    ] = None,
    region_id: Annotated[int | None, typer.Option(help="The delivery region.")] = None,
    buyer_type: Annotated[BuyerType | None, typer.Option(help="PERSON or BUSINESS.")] = None,
    status: Annotated[
        StartStatus | None,
        typer.Option(
            metavar="STATUS",
            help=f"Starting status: {_one_of(StartStatus)}; PROCESSING when left out.",
        ),
    ] = None,
    substatus: Annotated[
        str | None,
        typer.Option(
            help=f"Starting substatus; the status's usual one when left out. {_SEE_STATUSES}"
        ),
    ] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Place a test order (fake: true); prints {"order": ...} as getOrder shows it."""
    body = _present(
        items=[parse_item(item) for item in items],
        delivery=_present(type=delivery_type, serviceId=service_id, regionId=region_id),
        buyer={"type": buyer_type.value} if buyer_type else None,
        status=status,
        substatus=substatus,
    )
    _post(url, f"/sandbox/campaigns/{campaign_id}/orders", body, sandbox_token, data_dir)


@orders.command("move")
def move_order(
    campaign_id: Annotated[int, typer.Option(help="The order's campaign.")],
    order_id: Annotated[int, typer.Option(help="The order.")],
    status: Annotated[OrderStatus, typer.Option(help="The status the Market sets.")],
    substatus: Annotated[str | None, typer.Option(help=f"Its substatus. {_SEE_STATUSES}")] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """A move only the Market makes (buyer received, not received, buyer cancellation, ...)."""
    body = _present(status=status.value, substatus=substatus)
    path = f"/sandbox/campaigns/{campaign_id}/orders/{order_id}/status"
    _post(url, path, body, sandbox_token, data_dir)


@orders.command("show")
def show_order(
    campaign_id: Annotated[int, typer.Option(help="The order's campaign.")],
    order_id: Annotated[int, typer.Option(help="The order.")],
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The order as getOrder shows it, with its keys, tracks, marking codes, lateness, warnings
    and outbox; prints {"order", "digitalKeys"?, "lateness"?, "tracks", ...}."""
    path = f"/sandbox/campaigns/{campaign_id}/orders/{order_id}"
    _send("GET", url, path, sandbox_token, data_dir)


def parse_basket_line(spec: str) -> dict[str, Any]:
    """``OFFER_ID:COUNT[:PRICE]``; the offer id may itself contain colons (when it ends in a
    number, give the price too)."""
    parts = spec.split(":")
    if len(parts) >= 3 and parts[-2].isdigit() and _is_number(parts[-1]):
        return parse_item(spec)
    if len(parts) < 2 or not parts[-1].isdigit():
        raise typer.BadParameter(f"{spec!r}: expected OFFER_ID:COUNT[:PRICE]")
    *offer, count = parts
    return {"offerId": ":".join(offer), "count": int(count)}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@app.command("checkout")
def checkout(
    campaign_id: Annotated[int, typer.Option(help="The campaign whose store is asked.")],
    items: Annotated[
        list[str],
        typer.Option(
            "--item",
            help="OFFER_ID:COUNT[:PRICE] as the buyer saw it; repeatable. Without a price (and "
            "--feed-id) they come from the catalogue of the store this server runs.",
        ),
    ],
    region_id: Annotated[int, typer.Option(help="The buyer's region (Market region id).")],
    feed_id: Annotated[
        int | None, typer.Option(help="The store's feed the offers belong to.")
    ] = None,
    delivery_type: Annotated[
        OrderDeliveryType | None,
        typer.Option(help="The option's type; the store's first option when left out."),
    ] = None,
    buyer_type: Annotated[BuyerType | None, typer.Option(help="PERSON or BUSINESS.")] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Check a basket out through the campaign's store (POST /cart); prints {"order", "cart",
    "warnings"}. A store that fails the Market's checks exits 1 with the reasons."""
    body = _present(
        items=[_present(**parse_basket_line(item), feedId=feed_id) for item in items],
        regionId=region_id,
        deliveryType=delivery_type,
        buyer={"type": buyer_type.value} if buyer_type else None,
    )
    _post(url, f"/sandbox/campaigns/{campaign_id}/checkout", body, sandbox_token, data_dir)


@app.command("requests")
def list_requests(
    campaign_id: Annotated[
        int | None, typer.Option(help="Only the calls on this campaign.")
    ] = None,
    operation_id: Annotated[
        str | None, typer.Option(help="Only the calls of this operationId, e.g. getOrder.")
    ] = None,
    status: Annotated[
        int | None, typer.Option(help="Only the calls answered with this HTTP status (0: none).")
    ] = None,
    order_id: Annotated[
        int | None, typer.Option(help="Only the calls on this order (getOrder, ...).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Entries per page (default 50).")] = None,
    page_token: Annotated[
        str | None, typer.Option(help="paging.nextPageToken of the previous page.")
    ] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The query log, newest first; prints {"requests": [...], "paging": {...}}. The filters
    combine."""
    params = _present(
        campaignId=campaign_id,
        operationId=operation_id,
        status=status,
        orderId=order_id,
        limit=limit,
        pageToken=page_token,
    )
    _send("GET", url, "/sandbox/requests", sandbox_token, data_dir, params=params)


@app.command("reset")
def reset_sandbox(
    campaign_id: Annotated[
        int | None, typer.Option(help="Only this campaign's part; everything when left out.")
    ] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Delete orders, outbox, events, query log, fault rules and limit counters, keeping
    campaigns and keys; a full reset sets the clock back to real time. Prints
    {"deleted": {...}, "clockReset", "now"}."""
    _post(url, "/sandbox/reset", _present(campaignId=campaign_id), sandbox_token, data_dir)


@faults.command("add")
def add_fault(
    operation_id: Annotated[str, typer.Option(help="The operationId, e.g. getOrder.")],
    fault: Annotated[Fault, typer.Option(help="What the matched calls get.")],
    next_calls: Annotated[
        int | None, typer.Option("--next", help="Fault the next N matching calls.")
    ] = None,
    every: Annotated[int | None, typer.Option(help="Fault every Nth matching call.")] = None,
    share: Annotated[
        float | None, typer.Option(help="Fault this share (0-1] of the calls, drawn from --seed.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="The share's seed; random if left out.")] = None,
    latency_ms: Annotated[
        int | None, typer.Option(help="With LATENCY: the delay in milliseconds.")
    ] = None,
    campaign_id: Annotated[int | None, typer.Option(help="Only calls on this campaign.")] = None,
    token_id: Annotated[
        int | None, typer.Option(help="Only calls with this token (its tokenId).")
    ] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Add a fault rule; prints the rule with its id (and the seed of a share)."""
    body = _present(
        operationId=operation_id,
        fault=fault,
        next=next_calls,
        every=every,
        share=share,
        seed=seed,
        latencyMs=latency_ms,
        campaignId=campaign_id,
        tokenId=token_id,
    )
    _post(url, "/sandbox/faults", body, sandbox_token, data_dir)


@faults.command("list")
def list_faults(
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The fault rules with their counts; prints {"rules": [...]}."""
    _send("GET", url, "/sandbox/faults", sandbox_token, data_dir)


@faults.command("clear")
def clear_faults(
    rule_id: Annotated[
        int | None, typer.Argument(help="The rule to delete; every rule when left out.")
    ] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Delete every fault rule, or one; prints {"deleted": N}."""
    path = "/sandbox/faults" if rule_id is None else f"/sandbox/faults/{rule_id}"
    _send("DELETE", url, path, sandbox_token, data_dir)
