"""``dbskit api ...``: a seller's everyday Partner API calls, through ``dbskit.client``.

Every command calls the base URL of ``--url``, else ``DBSKIT_API_URL``, else ``DBSKIT_URL``, else
the local emulator; the real Market only when one of them names it. It prints the URL it calls on
stderr and the answer's JSON on stdout; a refused call prints the Market's error body as it came
and exits with status 1 (2 when the server cannot be reached). The key comes from ``--api-key``
(``DBSKIT_API_KEY``), ``--oauth-token`` (``DBSKIT_OAUTH_TOKEN``), or the emulator's demo key in
``--data-dir``. The client is imported inside each command, so ``dbskit --help`` stays fast.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from dbskit.private_files import read_private
from dbskit.settings import DEFAULT_PORT

if TYPE_CHECKING:
    from pydantic import BaseModel

    from dbskit.client import MarketClient

EMULATOR_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
# dbskit serve keeps its demo Api-Key here (market/services/demo.py: DEMO_KEY_FILE).
DEMO_KEY_FILE = "demo-api-key"

app = typer.Typer(
    help="Call the Partner API (the emulator by default) through dbskit's client.",
    no_args_is_help=True,
)

Url = Annotated[
    str,
    typer.Option(
        "--url",
        envvar=["DBSKIT_API_URL", "DBSKIT_URL"],
        help="Base URL to call; the Market is https://api.partner.market.yandex.ru.",
    ),
]
ApiKey = Annotated[
    str | None, typer.Option("--api-key", envvar="DBSKIT_API_KEY", help="The Api-Key.")
]
OAuthToken = Annotated[
    str | None,
    typer.Option("--oauth-token", envvar="DBSKIT_OAUTH_TOKEN", help="An OAuth token instead."),
]
DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir", envvar="DBSKIT_DATA_DIR", help="Where the emulator's demo-api-key is."
    ),
]
CampaignId = Annotated[int, typer.Option("--campaign-id", help="The campaign (store).")]
OrderId = Annotated[int, typer.Option("--order-id", help="The order.")]
DEFAULT_DATA_DIR = Path(".dbskit")

T = TypeVar("T")


@contextmanager
def _client(
    url: str, api_key: str | None, oauth_token: str | None, data_dir: Path
) -> Iterator[MarketClient]:
    from dbskit.client import MarketClient

    if api_key is None and oauth_token is None:
        api_key = read_private(data_dir / DEMO_KEY_FILE)
        if api_key is None:
            typer.echo(
                "dbskit: no key: pass --api-key (DBSKIT_API_KEY) or --oauth-token "
                f"(DBSKIT_OAUTH_TOKEN), or point --data-dir at the emulator's data dir "
                f"(no {data_dir / DEMO_KEY_FILE})",
                err=True,
            )
            raise typer.Exit(2)
    typer.echo(f"dbskit: calling {url.rstrip('/')}", err=True)
    with MarketClient(api_key=api_key, oauth_token=oauth_token, base_url=url) as client:
        yield client


def _run(call: Callable[[], T]) -> T:
    """The call's answer; the Market's refusal printed as it came (exit 1), no answer exit 2."""
    from pydantic import ValidationError

    from dbskit.client import MarketApiError, MarketError

    try:
        return call()
    except ValidationError as exc:  # the request breaks the contract before it is sent
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None
    except MarketApiError as exc:
        typer.echo(f"{exc.status_code} {exc.body}", err=True)
        raise typer.Exit(1) from None
    except MarketError as exc:
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None


def _print(answer: BaseModel) -> None:
    typer.echo(answer.model_dump_json(by_alias=True, exclude_none=True))


@app.command("order")
def get_order(
    campaign_id: CampaignId,
    order_id: OrderId,
    url: Url = EMULATOR_URL,
    api_key: ApiKey = None,
    oauth_token: OAuthToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """One order (getOrder; prints {"order": ...}). getOrder is retiring: see `orders`."""
    import warnings

    with _client(url, api_key, oauth_token, data_dir) as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _print(_run(lambda: client.get_order(campaign_id=campaign_id, order_id=order_id)))


@app.command("orders")
def list_orders(
    business_id: Annotated[int, typer.Option("--business-id", help="The business (cabinet).")],
    campaign_id: Annotated[
        list[int] | None, typer.Option("--campaign-id", help="Only these campaigns.")
    ] = None,
    status: Annotated[list[str] | None, typer.Option(help="Only these statuses.")] = None,
    order_id: Annotated[list[int] | None, typer.Option("--order-id", help="These orders.")] = None,
    fake: Annotated[
        bool | None, typer.Option("--fake/--real", help="Test orders, or real ones (default).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Orders per page (at most 50).")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Every page, one line each.")] = False,
    url: Url = EMULATOR_URL,
    api_key: ApiKey = None,
    oauth_token: OAuthToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The business's orders (getBusinessOrders); prints {"orders": [...], "paging": {...}}."""
    filters: dict[str, Any] = {
        "campaign_ids": campaign_id or None,
        "statuses": status or None,
        "order_ids": order_id or None,
        "fake": fake,
    }
    with _client(url, api_key, oauth_token, data_dir) as client:
        if not all_pages:
            answer = _run(
                lambda: client.get_business_orders(business_id=business_id, limit=limit, **filters)
            )
            _print(answer)
            return
        pages = client.business_order_pages(business_id=business_id, limit=limit, **filters)
        while (page := _run(lambda: next(pages, None))) is not None:
            _print(page)


def read_keys(path: Path) -> dict[int, list[str]]:
    """Keys per item id from a CSV file (``item_id,code`` rows, a header line allowed) or a JSON
    file (``{"<item id>": ["key", ...]}``)."""
    text = path.read_text(encoding="utf-8-sig")
    keys: dict[int, list[str]] = {}
    if path.suffix.lower() == ".json":
        document = json.loads(text)
        if not isinstance(document, dict):
            raise ValueError(f'{path}: expected {{"<item id>": ["key", ...]}}')
        for item_id, codes in document.items():
            listed = codes if isinstance(codes, list) else [codes]
            keys.setdefault(int(item_id), []).extend(str(code) for code in listed)
        return keys
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or (number == 1 and not row[0].strip().isdigit()):
            continue  # a blank line or the header
        if len(row) < 2:
            raise ValueError(f"{path}, line {number}: expected item_id,code")
        keys.setdefault(int(row[0]), []).append(row[1].strip())
    return keys


@app.command("deliver-keys")
def deliver_keys(
    campaign_id: CampaignId,
    order_id: OrderId,
    file: Annotated[Path, typer.Option("--file", help="CSV (item_id,code) or JSON keys.")],
    slip: Annotated[str, typer.Option(help="Activation instructions (HTML).")],
    activate_till: Annotated[
        str, typer.Option("--activate-till", help="Last activation day, YYYY-MM-DD.")
    ],
    url: Url = EMULATOR_URL,
    api_key: ApiKey = None,
    oauth_token: OAuthToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Send a DIGITAL order's keys (deliverDigitalGoods); prints {"status":"OK"}."""
    try:
        keys = read_keys(file)
        till = date.fromisoformat(activate_till)
    except (OSError, ValueError) as exc:
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None
    with _client(url, api_key, oauth_token, data_dir) as client:
        answer = _run(
            lambda: client.provide_order_digital_codes(
                campaign_id=campaign_id, order_id=order_id, keys=keys, slip=slip, activate_till=till
            )
        )
        _print(answer)


@app.command("track")
def set_track(
    campaign_id: CampaignId,
    order_id: OrderId,
    track_code: Annotated[str, typer.Option("--track-code", help="The carrier's track number.")],
    delivery_service_id: Annotated[
        int, typer.Option("--delivery-service-id", help="From GET v2/delivery/services.")
    ],
    url: Url = EMULATOR_URL,
    api_key: ApiKey = None,
    oauth_token: OAuthToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Set the order's track number (POST delivery/track); prints {"status":"OK"}."""
    with _client(url, api_key, oauth_token, data_dir) as client:
        answer = _run(
            lambda: client.set_order_delivery_track_code(
                campaign_id=campaign_id,
                order_id=order_id,
                track_code=track_code,
                delivery_service_id=delivery_service_id,
            )
        )
        _print(answer)


def parse_codes(specs: list[str] | None, option: str) -> dict[int, list[str]]:
    codes: dict[int, list[str]] = {}
    for spec in specs or ():
        item_id, separator, code = spec.partition("=")
        if not separator or not item_id.strip().isdigit():
            raise typer.BadParameter(f"expected ITEM_ID=CODE, got {spec!r}", param_hint=option)
        codes.setdefault(int(item_id), []).append(code)
    return codes


@app.command("marking")
def send_marking(
    campaign_id: CampaignId,
    order_id: OrderId,
    cis: Annotated[
        list[str] | None, typer.Option("--cis", help="ITEM_ID=CODE, once per unit.")
    ] = None,
    uin: Annotated[
        list[str] | None, typer.Option("--uin", help="ITEM_ID=UIN, once per unit.")
    ] = None,
    url: Url = EMULATOR_URL,
    api_key: ApiKey = None,
    oauth_token: OAuthToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Send marking codes (PUT identifiers); prints the items with their stored codes."""
    by_cis, by_uin = parse_codes(cis, "--cis"), parse_codes(uin, "--uin")
    if not by_cis and not by_uin:
        raise typer.BadParameter("give at least one --cis or --uin")
    with _client(url, api_key, oauth_token, data_dir) as client:
        answer = _run(
            lambda: client.provide_order_item_identifiers(
                campaign_id=campaign_id,
                order_id=order_id,
                cis=by_cis or None,
                uin=by_uin or None,
            )
        )
        _print(answer)
