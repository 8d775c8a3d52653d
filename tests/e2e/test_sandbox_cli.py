"""``dbskit serve`` prints a working demo key, and ``dbskit sandbox ...`` drives a real server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dbskit.cli import app
from dbskit.contract import limits
from tests.e2e.server import running_server

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"
runner = CliRunner()


def _demo_line(output: str) -> tuple[int, int, str]:
    business, campaign = re.search(r"demo business  (\d+), campaign (\d+)", output).groups()  # type: ignore[union-attr]
    key = re.search(r"demo Api-Key   (\S+)", output).group(1)  # type: ignore[union-attr]
    return int(business), int(campaign), key


def sandbox(*args: str, url: str, data_dir: Path) -> dict[str, object]:
    result = runner.invoke(app, ["sandbox", *args, "--url", url, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


@pytest.mark.rule("R-073", "R-079")
@pytest.mark.decision("Demo access")
@pytest.mark.decision("Campaigns and keys")
def test_serve_prints_the_demo_key_and_the_cli_manages_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBSKIT_SANDBOX_TOKEN", raising=False)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # serve keeps a token it finds in the data dir; the CLI reads the same file.
    (data_dir / "sandbox-token").write_text(TOKEN + "\n")
    args = ["--data-dir", str(data_dir)]
    ready = {"Sandbox-Token": TOKEN}
    with running_server(args, ready_headers=ready) as server:
        business_id, campaign_id, demo_key = _demo_line(server.output())
        assert limits.API_KEY_PATTERN.fullmatch(demo_key)
        services = httpx.get(
            server.base_url + "/v2/delivery/services", headers={"Api-Key": demo_key}, timeout=5
        )
        assert services.status_code == 200

        # the demo cabinet's only store switched off closes the API, and on again opens it.
        switched = sandbox(
            "campaigns", "activity", str(campaign_id), "--inactive",
            url=server.base_url, data_dir=data_dir,
        )  # fmt: skip
        assert switched == {"campaignId": campaign_id, "active": False}
        closed = httpx.get(
            server.base_url + "/v2/delivery/services", headers={"Api-Key": demo_key}, timeout=5
        )
        assert closed.status_code == 403
        assert closed.json()["errors"][0]["message"] == (
            f"Restrict access for business '{business_id}' because it is not active"
        )
        sandbox(
            "campaigns", "activity", str(campaign_id), "--active",
            url=server.base_url, data_dir=data_dir,
        )  # fmt: skip
        reopened = httpx.get(
            server.base_url + "/v2/delivery/services", headers={"Api-Key": demo_key}, timeout=5
        )
        assert reopened.status_code == 200

        # The token comes from the data dir's sandbox-token file.
        created = sandbox(
            "campaigns", "create", "--name", "Books", url=server.base_url, data_dir=data_dir
        )
        assert created["businessId"] != business_id and created["campaignId"] != campaign_id
        same_business = sandbox(
            "campaigns", "create", "--business-id", str(created["businessId"]),
            "--push-url", "https://store.example/market", "--push-auth-mode", "URL",
            url=server.base_url, data_dir=data_dir,
        )  # fmt: skip
        assert same_business["businessId"] == created["businessId"]

        token = sandbox(
            "tokens", "create", "--business-id", str(created["businessId"]),
            "--scope", "pricing", "--scope", "communication",
            url=server.base_url, data_dir=data_dir,
        )  # fmt: skip
        assert token["type"] == "API_KEY"
        key = str(token["apiKey"])
        headers = {"Api-Key": key}
        url = server.base_url + "/v2/delivery/services"
        assert httpx.get(url, headers=headers, timeout=5).status_code == 200

        revoked = sandbox(
            "tokens", "revoke", "--api-key", key, url=server.base_url, data_dir=data_dir
        )
        assert revoked == {"status": "OK"}
        response = httpx.get(url, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["errors"] == [
            {"code": "UNAUTHORIZED", "message": "Api-Key token is revoked"}
        ]

        # A refused request: the envelope on stderr, exit status 1.
        result = runner.invoke(
            app,
            ["sandbox", "tokens", "create", "--business-id", "42", "--scope", "pricing",
             "--url", server.base_url, "--sandbox-token", TOKEN],
        )  # fmt: skip
        assert result.exit_code == 1
        assert json.loads(result.stderr) == {
            "status": "ERROR",
            "errors": [{"code": "NOT_FOUND", "message": "Business not found: '42'"}],
        }
        result = runner.invoke(
            app, ["sandbox", "campaigns", "create", "--url", server.base_url,
                  "--data-dir", str(tmp_path / "elsewhere")],
        )  # fmt: skip
        assert result.exit_code == 2
        assert "no sandbox token" in result.stderr

    with running_server(args, ready_headers=ready) as again:
        assert _demo_line(again.output()) == (business_id, campaign_id, demo_key)
