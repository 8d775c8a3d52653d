"""``dbskit sandbox load FILE`` against a real server: the example files as written."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dbskit.cli import app
from tests.e2e.server import running_server

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-scenarios-token"
READY = {"Sandbox-Token": TOKEN}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


@pytest.mark.rule("R-102", "R-107")
@pytest.mark.decision("Scenario files")
def test_the_cli_loads_a_file_and_refuses_a_bad_one(tmp_path: Path) -> None:
    args = ["--data-dir", str(tmp_path / "data"), "--sandbox-token", TOKEN]
    with running_server(args, ready_headers=READY) as server:
        url = server.base_url
        command = ["sandbox", "load", "--url", url, "--sandbox-token", TOKEN]
        loaded = runner.invoke(app, [*command, str(EXAMPLES / "cancellation-request.yaml")])
        assert loaded.exit_code == 0, loaded.output
        names = json.loads(loaded.stdout)["names"]
        order = names["delivered-soon"]
        shown = httpx.get(
            f"{url}/v2/campaigns/{order['campaignId']}/orders/{order['id']}",
            headers={"Api-Key": names["lamps-key"]["apiKey"]},
        )
        assert shown.status_code == 200
        assert (shown.json()["order"]["status"], shown.json()["order"]["cancelRequested"]) == (
            "DELIVERY",
            True,
        )

        bad = tmp_path / "bad.toml"
        bad.write_text('[[entries]]\nname = "o"\n[entries.cancellationRequest]\norder = "x"\n')
        refused = runner.invoke(app, [*command, str(bad)])
        assert refused.exit_code == 1
        assert json.loads(refused.stderr) == {
            "status": "ERROR",
            "errors": [
                {
                    "code": "BAD_REQUEST",
                    "message": "Entry entries[0] (o): Value of field cancellationRequest.order "
                    "(x) names no earlier entry",
                }
            ],
        }
