"""A DIGITAL test order end to end against a real ``dbskit serve`` process: keys, the clock moved
past the e-mail delay, the e-mail in the outbox, ``DELIVERED``, and the ``ORDER_STATUS_UPDATED``
notification received by a real store endpoint on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import running_server
from tests.notification_listener import serve

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
DELAY_SECONDS = 5


@pytest.mark.rule("R-010", "R-011", "R-113", "OQ-05", "OQ-25")
@pytest.mark.decision("Seed methods: digital keys (deliverDigitalGoods)")
async def test_keys_to_delivered_with_a_notification(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sandbox-token").write_text(TOKEN + "\n")
    async with serve() as listener:
        with running_server(
            ["--data-dir", str(data_dir), "--digital-delivery-delay-seconds", str(DELAY_SECONDS)],
            ready_headers=SANDBOX,
        ) as server:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
                campaign = (
                    await http.post(
                        "/sandbox/campaigns",
                        json={"name": "Keys", "notificationUrl": listener.url},
                        headers=SANDBOX,
                    )
                ).json()
                token = (
                    await http.post(
                        "/sandbox/tokens",
                        json={"businessId": campaign["businessId"], "scopes": ["all-methods"]},
                        headers=SANDBOX,
                    )
                ).json()
                key = {"Api-Key": token["apiKey"]}
                placed = await http.post(
                    f"/sandbox/campaigns/{campaign['campaignId']}/orders",
                    json={
                        "items": [{"offerId": "game-1", "count": 2, "price": 1500}],
                        "delivery": {"type": "DIGITAL"},
                    },
                    headers=SANDBOX,
                )
                order = placed.json()["order"]
                path = f"/v2/campaigns/{campaign['campaignId']}/orders/{order['id']}"
                body = {
                    "items": [
                        {
                            "id": order["items"][0]["id"],
                            "codes": ["AAAA-1111", "BBBB-2222"],
                            "slip": "<p>Redeem at example.com</p>",
                            "activate_till": "2030-12-31",
                        }
                    ]
                }
                answer = await http.post(f"{path}/deliverDigitalGoods", json=body, headers=key)
                assert (answer.status_code, answer.json()) == (200, {"status": "OK"})

                moved = await http.post(
                    "/sandbox/clock", json={"advanceSeconds": DELAY_SECONDS}, headers=SANDBOX
                )
                assert moved.status_code == 200
                for _ in range(500):
                    if len(listener.received) == 2:
                        break
                    await asyncio.sleep(0.02)

                fetched = (await http.get(path, headers=key)).json()["order"]
                assert (fetched["status"], fetched["substatus"]) == (
                    "DELIVERED",
                    "DELIVERY_SERVICE_DELIVERED",
                )
                messages = (
                    await http.get(
                        "/sandbox/outbox", params={"orderId": order["id"]}, headers=SANDBOX
                    )
                ).json()["messages"]
    assert [(m["kind"], m["state"], m["payload"].get("notificationType")) for m in messages] == [
        ("notification", "DELIVERED", "ORDER_CREATED"),
        ("email", "SENT", None),
        ("notification", "DELIVERED", "ORDER_STATUS_UPDATED"),
    ]
    assert "<li>AAAA-1111</li><li>BBBB-2222</li>" in messages[1]["payload"]["html"]
    assert [(r.method, r.path) for r in listener.received] == [("POST", "/notification")] * 2
    notification = listener.received[1].json()
    assert {k: notification[k] for k in ("notificationType", "orderId", "status", "substatus")} == {
        "notificationType": "ORDER_STATUS_UPDATED",
        "orderId": order["id"],
        "status": "DELIVERED",
        "substatus": "DELIVERY_SERVICE_DELIVERED",
    }
