"""``dbskit sandbox requests`` reads a real server's query log (R-111)."""

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
runner = CliRunner()


def requests(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["sandbox", "requests", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.decision("Query log")
def test_the_cli_pages_through_the_query_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sandbox-token").write_text(TOKEN + "\n")
    with running_server(["--data-dir", str(data_dir)], ready_headers={"Sandbox-Token": TOKEN}) as s:
        match = re.search(r"demo business  (\d+), campaign (\d+)", s.output())
        assert match is not None
        campaign = int(match.group(2))
        key = re.search(r"demo Api-Key   (\S+)", s.output()).group(1)  # type: ignore[union-attr]
        paths = [f"/v2/campaigns/{campaign}/orders/{n}.json" for n in (1, 2)]
        for path in paths:
            httpx.get(s.base_url + path, headers={"Api-Key": key}, timeout=5)
        common = ["--url", s.base_url, "--data-dir", str(data_dir)]

        status, out, _ = requests("--campaign-id", str(campaign), "--limit", "1", *common)
        assert status == 0
        first = json.loads(out)
        [entry] = first["requests"]
        assert (entry["path"], entry["operationId"], entry["campaignId"]) == (
            paths[1],
            "getOrder",
            campaign,
        )
        assert entry["request"]["headers"]["api-key"] == "***"
        assert key not in out

        token = first["paging"]["nextPageToken"]
        status, out, _ = requests("--campaign-id", str(campaign), "--page-token", token, *common)
        assert status == 0
        assert [e["path"] for e in json.loads(out)["requests"]] == [paths[0]]

        status, out, _ = requests("--order-id", "2", *common)
        assert status == 0
        assert [(e["path"], e["orderId"]) for e in json.loads(out)["requests"]] == [(paths[1], 2)]

        status, _, err = requests("--limit", "0", *common)
        assert status == 1
        assert json.loads(err) == {
            "status": "ERROR",
            "errors": [
                {
                    "code": "BAD_REQUEST",
                    "message": "Value / length of field limit (0) must be greater than or "
                    "equal to 1",
                }
            ],
        }
