"""``dbskit sandbox orders ...`` against a real server: place a test order, move it as the
Market, and read it back through the Partner API with the demo key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from dbskit.cli import app
from dbskit.cli.sandbox import parse_item
from tests.e2e.server import running_server

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"
runner = CliRunner()


def sandbox(*args: str, url: str) -> dict[str, object]:
    result = runner.invoke(app, ["sandbox", *args, "--url", url, "--sandbox-token", TOKEN])
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


@pytest.mark.rule("R-102", "R-107", "R-119", "OQ-13")
@pytest.mark.decision("Test orders: what the sandbox fills in (R-107)")
def test_orders_from_the_command_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sandbox-token").write_text(TOKEN + "\n")
    with running_server(
        ["--data-dir", str(data_dir)], ready_headers={"Sandbox-Token": TOKEN}
    ) as server:
        campaign = re.search(r"campaign (\d+)", server.output()).group(1)  # type: ignore[union-attr]
        key = re.search(r"demo Api-Key   (\S+)", server.output()).group(1)  # type: ignore[union-attr]
        placed = sandbox(
            "orders", "create", "--campaign-id", campaign,
            "--item", "shoes:2:1500.50:CIS", "--item", "socks:1:99",
            "--delivery-type", "PICKUP", "--buyer-type", "BUSINESS", "--status", "DELIVERY",
            url=server.base_url,
        )  # fmt: skip
        order = placed["order"]
        assert isinstance(order, dict)
        assert (order["fake"], order["status"], order["substatus"]) == (
            True, "DELIVERY", "DELIVERY_SERVICE_RECEIVED"
        )  # fmt: skip
        assert [item["requiredInstanceTypes"] for item in order["items"][:1]] == [["CIS"]]

        moved = sandbox(
            "orders", "move", "--campaign-id", campaign, "--order-id", str(order["id"]),
            "--status", "CANCELLED", "--substatus", "USER_CHANGED_MIND", url=server.base_url,
        )  # fmt: skip
        assert moved["order"]["cancelRequested"] is True  # type: ignore[index]

        fetched = httpx.get(
            f"{server.base_url}/v2/campaigns/{campaign}/orders/{order['id']}",
            headers={"Api-Key": key},
            timeout=5,
        )
        assert fetched.json() == moved

        refused = runner.invoke(
            app,
            ["sandbox", "orders", "move", "--campaign-id", campaign, "--order-id", "1",
             "--status", "DELIVERED", "--url", server.base_url, "--sandbox-token", TOKEN],
        )  # fmt: skip
        assert refused.exit_code == 1
        assert json.loads(refused.stderr) == {
            "status": "ERROR",
            "errors": [{"code": "NOT_FOUND", "message": "Order not found: '1'"}],
        }


@pytest.mark.decision("Test orders: what the sandbox fills in (R-107)")
@pytest.mark.parametrize(
    ("spec", "item"),
    [
        ("kettle-1:1:990", {"offerId": "kettle-1", "count": 1, "price": 990}),
        ("a:b:3:10.5:UIN", {"offerId": "a:b", "count": 3, "price": 10.5, "marking": "UIN"}),
    ],
)
def test_item_specs(spec: str, item: dict[str, object]) -> None:
    assert parse_item(spec) == item


@pytest.mark.decision("Test orders: what the sandbox fills in (R-107)")
@pytest.mark.parametrize("spec", ["kettle", "kettle:x:1", "kettle:1:cheap"])
def test_bad_item_specs(spec: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_item(spec)


@pytest.mark.rule("R-035", "OQ-13")
@pytest.mark.decision("The sandbox order view")
def test_order_view_from_the_command_line(tmp_path: Path) -> None:
    with running_server(
        ["--data-dir", str(tmp_path / "data"), "--sandbox-token", TOKEN],
        ready_headers={"Sandbox-Token": TOKEN},
    ) as server:
        campaign = re.search(r"campaign (\d+)", server.output()).group(1)  # type: ignore[union-attr]
        key = re.search(r"demo Api-Key   (\S+)", server.output()).group(1)  # type: ignore[union-attr]
        placed = sandbox(
            "orders", "create", "--campaign-id", campaign, "--item", "ring:1:15000:UIN",
            url=server.base_url,
        )  # fmt: skip
        order = placed["order"]
        assert isinstance(order, dict)
        (item,) = order["items"]
        base = f"{server.base_url}/v2/campaigns/{campaign}/orders/{order['id']}"
        stored = httpx.put(
            f"{base}/identifiers",
            json={"items": [{"id": item["id"], "instances": [{"uin": "1234567890123456"}]}]},
            headers={"Api-Key": key},
            timeout=5,
        )
        assert stored.status_code == 200, stored.text

        shown = sandbox(
            "orders", "show", "--campaign-id", campaign, "--order-id", str(order["id"]),
            url=server.base_url,
        )  # fmt: skip
        fetched = httpx.get(base, headers={"Api-Key": key}, timeout=5).json()
        listing = httpx.get(
            f"{server.base_url}/sandbox/outbox",
            params={"orderId": order["id"]},
            headers={"Sandbox-Token": TOKEN},
            timeout=5,
        ).json()
        assert shown == {
            "order": fetched["order"],
            "tracks": [],
            "marking": [
                {
                    "id": item["id"],
                    "offerId": "ring",
                    "count": 1,
                    "requiredInstanceTypes": ["UIN"],
                    "units": [{"unit": 1, "type": "UIN", "uin": "1234567890123456"}],
                }
            ],
            "warnings": [],
            "outbox": listing["messages"],
        }

        refused = runner.invoke(
            app,
            ["sandbox", "orders", "show", "--campaign-id", campaign, "--order-id", "1",
             "--url", server.base_url, "--sandbox-token", TOKEN],
        )  # fmt: skip
        assert refused.exit_code == 1
        assert json.loads(refused.stderr) == {
            "status": "ERROR",
            "errors": [{"code": "NOT_FOUND", "message": "Order not found: '1'"}],
        }
