"""Checkout through the store against a real ``dbskit serve``: the Market calls the demo store it
serves at /store over real HTTP, the test order comes from the store's answer, its keys are
delivered with deliverDigitalGoods and e-mailed to the buyer; the same basket from the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dbskit.cli import app
from tests.e2e.server import running_server

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
DELAY_SECONDS = 5
# As a buyer puts it together: the Market knows the feed and the price from the catalogue.
BASKET = {"items": [{"offerId": "game-key-north", "count": 2}], "regionId": 213}


@pytest.mark.rule("R-010", "R-011", "R-037", "R-039", "R-047", "R-050", "R-107", "OQ-16", "OQ-21")
@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_a_demo_basket_checked_out_and_its_keys_delivered(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sandbox-token").write_text(TOKEN + "\n")
    with running_server(
        ["--data-dir", str(data_dir), "--digital-delivery-delay-seconds", str(DELAY_SECONDS)],
        ready_headers=SANDBOX,
    ) as server:
        output = server.output()
        campaign = re.search(r"campaign (\d+)", output).group(1)  # type: ignore[union-attr]
        key = {"Api-Key": (data_dir / "demo-api-key").read_text().strip()}
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            checked_out = http.post(
                f"/sandbox/campaigns/{campaign}/checkout", json=BASKET, headers=SANDBOX
            )
            assert checked_out.status_code == 201, checked_out.text
            body = checked_out.json()
            order = body["order"]
            assert body["cart"]["deliveryOptions"][0]["type"] == "DIGITAL"
            assert (order["fake"], order["delivery"]["type"], order["status"]) == (
                True,
                "DIGITAL",
                "PROCESSING",
            )
            assert [(i["offerId"], i["count"], i["price"]) for i in order["items"]] == [
                ("game-key-north", 2, 1999.0)
            ]
            logged = http.get(
                "/sandbox/requests", params={"campaignId": campaign, "limit": 1}, headers=SANDBOX
            ).json()["requests"][0]
            assert (logged["operationId"], logged["path"], logged["status"]) == (
                "push.cart",
                f"{server.base_url}/store/cart",
                200,
            )
            assert json.loads(logged["response"]["body"]) == {"cart": body["cart"]}

            path = f"/v2/campaigns/{campaign}/orders/{order['id']}"
            keys = {
                "items": [
                    {
                        "id": order["items"][0]["id"],
                        "codes": ["NORTH-0001", "NORTH-0002"],
                        "slip": "<p>Activate in the game launcher</p>",
                        "activate_till": "2030-12-31",
                    }
                ]
            }
            delivered = http.post(f"{path}/deliverDigitalGoods", json=keys, headers=key)
            assert (delivered.status_code, delivered.json()) == (200, {"status": "OK"})
            moved = http.post(
                "/sandbox/clock", json={"advanceSeconds": DELAY_SECONDS}, headers=SANDBOX
            )
            assert moved.status_code == 200
            fetched = http.get(path, headers=key).json()["order"]
            assert (fetched["status"], fetched["substatus"]) == (
                "DELIVERED",
                "DELIVERY_SERVICE_DELIVERED",
            )
            messages = http.get(
                "/sandbox/outbox", params={"orderId": order["id"]}, headers=SANDBOX
            ).json()["messages"]
            emails = [m for m in messages if m["kind"] == "email"]
            assert [m["state"] for m in emails] == ["SENT"]
            assert "<li>NORTH-0001</li><li>NORTH-0002</li>" in emails[0]["payload"]["html"]

        runner = CliRunner()
        result = runner.invoke(
            app,
            ["sandbox", "checkout", "--campaign-id", campaign,
             "--item", "kettle-aqua-17:5", "--region-id", "213", "--delivery-type", "PICKUP",
             "--url", server.base_url, "--sandbox-token", TOKEN],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        answer = json.loads(result.stdout)
        assert answer["order"]["delivery"]["type"] == "PICKUP"
        assert [(i["offerId"], i["count"]) for i in answer["order"]["items"]] == [
            ("kettle-aqua-17", 3)
        ]
        refused = runner.invoke(
            app,
            ["sandbox", "checkout", "--campaign-id", campaign, "--feed-id", "200100",
             "--item", "ereader-page-6:1:11990", "--region-id", "213",
             "--url", server.base_url, "--sandbox-token", TOKEN],
        )  # fmt: skip
        assert refused.exit_code == 1
        assert json.loads(refused.stderr) == {
            "status": "ERROR",
            "errors": [
                {
                    "code": "BASKET_UNAVAILABLE",
                    "message": "The store answered count 0 for every line (R-050): nothing in "
                    "the basket can be ordered",
                }
            ],
        }
