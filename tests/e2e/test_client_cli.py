"""``dbskit api ...`` against a real ``dbskit serve``: the base URL it calls, its answers, and the
Market's refusals printed as they came."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dbskit.cli import app
from tests.client.scripted_server import free_port
from tests.e2e.server import SandboxSeller, Server, running_server, sandbox_seller

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-client-cli-token"
SANDBOX = {"Sandbox-Token": TOKEN}
runner = CliRunner()
NO_SETTINGS = dict.fromkeys(
    ("DBSKIT_URL", "DBSKIT_API_URL", "DBSKIT_API_KEY", "DBSKIT_OAUTH_TOKEN", "DBSKIT_DATA_DIR")
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("client-cli")
    with running_server(
        ["--data-dir", str(data_dir), "--sandbox-token", TOKEN], ready_headers=SANDBOX
    ) as running:
        yield running


def _order(server: Server, seller: SandboxSeller, delivery: str, count: int) -> tuple[int, int]:
    placed = httpx.post(
        f"{server.base_url}/sandbox/campaigns/{seller.campaign_id}/orders",
        json={
            "items": [{"offerId": "sku-9", "count": count, "price": 10}],
            "delivery": {"type": delivery},
        },
        headers=SANDBOX,
    ).json()["order"]
    return int(placed["id"]), int(placed["items"][0]["id"])


def api(*args: str, env: dict[str, str | None]) -> tuple[int, str, str]:
    result = runner.invoke(app, ["api", *args], env={**NO_SETTINGS, **env})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.rule("R-004", "R-010")
@pytest.mark.decision("The Python client (dbskit.client)")
def test_keys_from_csv_and_json_files(server: Server, tmp_path: Path) -> None:
    seller = sandbox_seller(server.base_url, TOKEN)
    env: dict[str, str | None] = {"DBSKIT_URL": server.base_url, "DBSKIT_API_KEY": seller.api_key}
    for name, content in (
        ("keys.csv", "item_id,code\n{item},KEY-1\n{item},KEY-2\n"),
        ("keys.json", '{{"{item}": ["KEY-1", "KEY-2"]}}'),
    ):
        order_id, item_id = _order(server, seller, "DIGITAL", 2)
        keys = tmp_path / name
        keys.write_text(content.format(item=item_id))
        code, out, err = api(
            "deliver-keys",
            "--campaign-id", str(seller.campaign_id),
            "--order-id", str(order_id),
            "--file", str(keys),
            "--slip", "<p>Redeem</p>",
            "--activate-till", "2030-12-31",
            env=env,
        )  # fmt: skip
        assert (code, json.loads(out)) == (0, {"status": "OK"}), err
        assert err == f"dbskit: calling {server.base_url}\n"


@pytest.mark.rule("R-018", "R-029", "R-120")
@pytest.mark.decision("The Python client (dbskit.client)")
def test_track_marking_and_orders(server: Server) -> None:
    seller = sandbox_seller(server.base_url, TOKEN)
    order_id, item_id = _order(server, seller, "DELIVERY", 1)
    env: dict[str, str | None] = {"DBSKIT_URL": server.base_url, "DBSKIT_API_KEY": seller.api_key}
    where = ["--campaign-id", str(seller.campaign_id), "--order-id", str(order_id)]
    code, out, _ = api(
        "track", *where, "--track-code", "RA1", "--delivery-service-id", "99", env=env
    )
    assert (code, json.loads(out)) == (0, {"status": "OK"})
    code, out, _ = api("marking", *where, "--uin", f"{item_id}=1234567890123456", env=env)
    assert code == 0
    assert json.loads(out)["result"]["items"][0]["instances"] == [{"uin": "1234567890123456"}]
    code, out, _ = api("order", *where, env=env)
    assert (code, json.loads(out)["order"]["delivery"]["tracks"]) == (
        0,
        [{"trackCode": "RA1", "deliveryServiceId": 99}],
    )
    code, out, _ = api("orders", "--business-id", str(seller.business_id), "--fake", env=env)
    assert code == 0
    assert [o["orderId"] for o in json.loads(out)["orders"]] == [order_id]


@pytest.mark.rule("R-071", "R-078")
@pytest.mark.decision("The Python client (dbskit.client)")
def test_a_refusal_is_printed_as_the_market_wrote_it(server: Server) -> None:
    seller = sandbox_seller(server.base_url, TOKEN)
    closed = f"http://127.0.0.1:{free_port()}"
    # DBSKIT_API_URL wins over DBSKIT_URL.
    env: dict[str, str | None] = {
        "DBSKIT_API_URL": server.base_url,
        "DBSKIT_URL": closed,
        "DBSKIT_API_KEY": seller.api_key,
    }
    code, out, err = api(
        "order", "--campaign-id", str(seller.campaign_id), "--order-id", "1", env=env
    )
    assert (code, out) == (1, "")
    assert err == (
        f"dbskit: calling {server.base_url}\n"
        '404 {"status":"ERROR","errors":[{"code":"NOT_FOUND",'
        '"message":"Order not found: \'1\'"}]}\n'
    )


@pytest.mark.decision("The Python client (dbskit.client)")
def test_the_emulator_is_the_default_and_no_key_is_refused(tmp_path: Path) -> None:
    code, _, err = api(
        "order", "--campaign-id", "1", "--order-id", "1", "--data-dir", str(tmp_path), env={}
    )
    assert code == 2
    assert "no key" in err
    (tmp_path / "demo-api-key").write_text("ACMA:x\n")
    closed = f"http://127.0.0.1:{free_port()}"
    code, _, err = api(
        "order", "--campaign-id", "1", "--order-id", "1", "--data-dir", str(tmp_path),
        "--url", closed,
        env={"DBSKIT_URL": "http://127.0.0.1:8484"},
    )  # fmt: skip
    assert code == 2
    assert err.startswith(f"dbskit: calling {closed}\n")
    help_text = runner.invoke(app, ["api", "order", "--help"], env=NO_SETTINGS).stdout
    assert "http://127.0.0.1:8484" in help_text
