"""The autopilot over real HTTP: ``dbskit serve`` and ``dbskit store serve`` as two processes on
loopback, keys imported with ``dbskit store keys import``, the test campaign's notification URL
pointed at the store. A digital test order's ORDER_CREATED reaches the store, whose worker reads
the order and delivers the vault's keys; the sandbox shows them and the order DELIVERED."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import dbskit_env, running_server, sandbox_seller

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
HANG = 60.0  # a hang detector only: the loop takes about a second


def dbskit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbskit", *args],
        env=dbskit_env(),
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )


def store_answers_ping(base_url: str) -> None:
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        try:
            answer = httpx.post(
                base_url + "/notification",
                json={"notificationType": "PING", "time": "2026-12-07T10:00:00Z"},
                timeout=2,
            )
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError("the store did not answer PING")


def delivered_view(http: httpx.Client, campaign_id: int, order_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        view: dict[str, Any] = http.get(
            f"/sandbox/campaigns/{campaign_id}/orders/{order_id}", headers=SANDBOX
        ).json()
        if view["order"]["status"] == "DELIVERED":
            return view
        time.sleep(0.1)
    raise AssertionError(f"order {order_id} not DELIVERED: {view}")


@pytest.mark.rule("R-009", "R-011", "R-113", "OQ-02", "OQ-25")
@pytest.mark.decision("The autopilot acts on the order")
def test_the_store_delivers_a_digital_orders_keys_from_its_vault(tmp_path: Path) -> None:
    market_dir, store_dir = tmp_path / "market", tmp_path / "store"
    market_dir.mkdir()
    (market_dir / "sandbox-token").write_text(TOKEN + "\n")
    keys = tmp_path / "keys.csv"
    keys.write_text(
        "offerId,key,activateTill,slip\n"
        "game-1,KEY-AAAA-0001,2031-06-30,<p>Redeem at example.com</p>\n"
        "game-1,KEY-AAAA-0002,2031-03-31,\n"
        "game-1,KEY-AAAA-0003,,\n",
        encoding="utf-8",
    )
    imported = dbskit("store", "keys", "import", str(keys), "--data-dir", str(store_dir))
    assert imported.returncode == 0, imported.stderr

    market_args = ["--data-dir", str(market_dir), "--digital-delivery-delay-seconds", "1"]
    with running_server(market_args, ready_headers=SANDBOX) as market:
        seller = sandbox_seller(market.base_url, TOKEN)
        store_args = [
            "--data-dir",
            str(store_dir),
            "--store-market-url",
            market.base_url,
            "--store-api-key",
            seller.api_key,
            "--store-business-id",
            str(seller.business_id),
        ]
        with (
            running_server(
                store_args, command=("store", "serve"), ready=store_answers_ping
            ) as store,
            httpx.Client(base_url=market.base_url, timeout=10) as http,
        ):
            pointed = http.patch(
                f"/sandbox/campaigns/{seller.campaign_id}",
                json={"notificationUrl": store.base_url},
                headers=SANDBOX,
            )
            assert pointed.status_code == 200, pointed.text
            placed = http.post(
                f"/sandbox/campaigns/{seller.campaign_id}/orders",
                json={
                    "items": [{"offerId": "game-1", "count": 2, "price": 1500}],
                    "delivery": {"type": "DIGITAL"},
                },
                headers=SANDBOX,
            )
            assert placed.status_code == 201, placed.text
            order = placed.json()["order"]
            view = delivered_view(http, seller.campaign_id, order["id"])
            status = dbskit("store", "status", "--data-dir", str(store_dir))
            store_log = store.output()

    assert view["digitalKeys"]["calls"] == 1
    assert [
        (item["id"], [(b["codes"], b["activateTill"], b["slip"]) for b in item["batches"]])
        for item in view["digitalKeys"]["items"]
    ] == [
        (
            order["items"][0]["id"],
            # The two oldest keys, the earlier deadline of the two, the keys' own slip.
            [
                (
                    ["KEY-AAAA-0001", "KEY-AAAA-0002"],
                    "2031-03-31",
                    "<p>Redeem at example.com</p>",
                )
            ],
        )
    ]
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines() == [
        "orders needing the seller: 0",
        "late deliveries: 0",
        "jobs: 0 pending, 0 running, 0 waiting",
    ]
    assert f"order {order['id']}: keys delivered" in store_log
    exported = tmp_path / "delivered.csv"
    done = dbskit(
        "store", "keys", "export", "--output", str(exported), "--data-dir", str(store_dir)
    )
    assert done.returncode == 0, done.stderr
    assert "KEY-AAAA-0001" in exported.read_text() and "KEY-AAAA-0003" not in exported.read_text()
