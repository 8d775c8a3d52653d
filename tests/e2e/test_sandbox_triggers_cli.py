"""``dbskit sandbox campaigns show|set`` and ``dbskit sandbox trigger ...`` against a real
server, and ``--access-log``: one line per request, the docs sign-in token hidden."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from dbskit.cli import app
from tests.e2e.server import running_server
from tests.notification_schemas import assert_valid_notification

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-triggers-token"
READY = {"Sandbox-Token": TOKEN}
runner = CliRunner()


def sandbox(*args: str, url: str) -> Any:
    result = runner.invoke(app, ["sandbox", *args, "--url", url, "--sandbox-token", TOKEN])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.rule("R-117", "R-114")
@pytest.mark.decision("Campaign settings")
@pytest.mark.decision("Market-side triggers")
def test_the_cli_sets_a_campaign_and_triggers_events(tmp_path: Path) -> None:
    args = ["--data-dir", str(tmp_path / "data"), "--sandbox-token", TOKEN]
    with running_server(args, ready_headers=READY) as server:
        url = server.base_url
        made = sandbox("campaigns", "create", "--name", "Kettles", url=url)
        campaign_id = str(made["campaignId"])
        changed = sandbox(
            "campaigns", "set", campaign_id,
            "--notification-url", "http://127.0.0.1:9/store", "--push-auth-mode", "URL",
            url=url,
        )  # fmt: skip
        assert changed == sandbox("campaigns", "show", campaign_id, url=url)
        assert (changed["notificationUrl"], changed["pushAuthMode"]) == (
            "http://127.0.0.1:9/store",
            "URL",
        )
        cleared = sandbox("campaigns", "set", campaign_id, "--clear-notification-url", url=url)
        assert "notificationUrl" not in cleared

        pinged = sandbox("trigger", "ping", "--campaign-id", campaign_id, url=url)
        (ping,) = pinged["notifications"]
        assert (ping["state"], ping["payload"]["notificationType"]) == ("NOT_SENT", "PING")

        order = sandbox(
            "orders", "create", "--campaign-id", campaign_id, "--item", "kettle-1:1:990",
            "--status", "DELIVERY", url=url,
        )["order"]  # fmt: skip
        ids = ["--campaign-id", campaign_id, "--order-id", str(order["id"])]
        moved = sandbox(
            "trigger", "delivery-date-change", *ids, "--from-date", "01-01-2031", url=url
        )
        received = sandbox("trigger", "buyer-received", *ids, url=url)
        cancelled = sandbox(
            "trigger", "buyer-cancellation", *ids, "--reason", "USER_REFUSED_PRODUCT", url=url
        )
        sent = [
            message["payload"]
            for answer in (moved, received, cancelled)
            for message in answer["notifications"]
        ]
        assert [body["notificationType"] for body in sent] == [
            "ORDER_UPDATED",
            "ORDER_STATUS_UPDATED",
            "ORDER_CANCELLATION_REQUEST",
        ]
        for body in [ping["payload"], *sent]:
            assert_valid_notification(body)

        again = sandbox("trigger", "buyer-received", *ids, url=url)
        assert again == {"notifications": []}  # USER_RECEIVED already: nothing to send
        refused = runner.invoke(
            app,
            [
                "sandbox", "trigger", "delivery-date-change", *ids, "--from-date", "2031-01-01",
                "--url", url, "--sandbox-token", TOKEN,
            ],
        )  # fmt: skip
        assert refused.exit_code == 1  # the envelope on stderr
        assert json.loads(refused.stderr)["status"] == "ERROR"


@pytest.mark.decision("Access log")
def test_the_access_log_is_off_by_default(tmp_path: Path) -> None:
    args = ["--data-dir", str(tmp_path / "data"), "--sandbox-token", TOKEN]
    with running_server(args, ready_path="/healthz") as server:
        assert httpx.get(server.base_url + "/healthz", timeout=5).status_code == 200
    assert '"GET /healthz HTTP/1.1" 200' not in server.output()


@pytest.mark.decision("Access log")
@pytest.mark.decision("The control plane's OpenAPI and docs")
def test_the_access_log_has_a_line_per_request_without_tokens(tmp_path: Path) -> None:
    args = ["--data-dir", str(tmp_path / "data"), "--sandbox-token", TOKEN, "--access-log"]
    with running_server(args, ready_path="/healthz") as server:
        signed_in = httpx.get(server.base_url + "/sandbox/docs", params={"token": TOKEN}, timeout=5)
        assert signed_in.status_code == 303
        missing = httpx.get(server.base_url + "/v2/nothing", timeout=5)
        assert missing.status_code == 404
    output = server.output()
    assert '"GET /healthz HTTP/1.1" 200' in output
    assert '"GET /sandbox/docs?token=*** HTTP/1.1" 303' in output
    assert '"GET /v2/nothing HTTP/1.1" 404' in output
    assert TOKEN not in output.replace(f"Sandbox-Token  {TOKEN}", "")  # the startup banner
