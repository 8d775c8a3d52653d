"""The shell commands a newcomer starts with, against real processes: the sandbox clock moved in
steps with progress, the outbox, the query log's filters, the URL from DBSKIT_URL, and a server
that cannot bind its port saying so before any banner."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import dbskit_env, running_server

pytestmark = [pytest.mark.e2e]

TOKEN = "newcomer-sandbox-token"


def _dbskit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbskit", *args],
        capture_output=True,
        text=True,
        env=dbskit_env(env),
        check=False,
        timeout=120,
    )


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.decision("Commands that call a server")
def test_clock_outbox_and_filtered_requests_from_the_shell(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sandbox-token").write_text(TOKEN + "\n")
    with running_server(
        ["--data-dir", str(data_dir)], ready_headers={"Sandbox-Token": TOKEN}
    ) as server:
        # No --url and no --sandbox-token: DBSKIT_URL and the data dir's token file.
        env = {"DBSKIT_URL": server.base_url, "DBSKIT_DATA_DIR": str(data_dir)}
        before = _moment(json.loads(_dbskit("sandbox", "clock", env=env).stdout)["now"])

        placed = _dbskit(
            "sandbox", "orders", "create", "--campaign-id", "21000001",
            "--item", "kettle-1:1:990", "--status", "DELIVERY", env=env,
        )  # fmt: skip
        assert placed.returncode == 0, placed.stderr
        order_id = json.loads(placed.stdout)["order"]["id"]

        advanced = _dbskit("sandbox", "clock", "advance", "2d", "--step", "1d", env=env)
        assert advanced.returncode == 0, advanced.stderr
        progress = advanced.stderr.splitlines()
        assert [line.split(" ", 1)[0] for line in progress] == ["[1/2]", "[2/2]"]
        answer = json.loads(advanced.stdout)
        assert set(answer) == {"now", "eventsRun", "eventsRemaining"}
        assert _moment(answer["now"]) - before >= timedelta(days=2)

        # One request when the move fits in a step: no progress lines.
        short = _dbskit("sandbox", "clock", "advance", "90s", env=env)
        assert short.returncode == 0 and short.stderr == ""

        outbox = json.loads(
            _dbskit("sandbox", "outbox", "--order-id", str(order_id), env=env).stdout
        )
        assert outbox["messages"]
        assert {message["orderId"] for message in outbox["messages"]} == {order_id}

        key = (data_dir / "demo-api-key").read_text().strip()
        order_url = f"{server.base_url}/v2/campaigns/21000001/orders/{order_id}"
        assert httpx.get(order_url, headers={"Api-Key": key}, timeout=10).status_code == 200
        assert httpx.get(order_url + "1", headers={"Api-Key": key}, timeout=10).status_code == 404
        listed = _dbskit(
            "sandbox", "requests", "--operation-id", "getOrder", "--status", "404", env=env
        )
        entries = json.loads(listed.stdout)["requests"]
        assert [(entry["operationId"], entry["status"]) for entry in entries] == [("getOrder", 404)]


@pytest.mark.decision("Commands that call a server")
def test_a_choice_the_server_refuses_is_not_offered(tmp_path: Path) -> None:
    refused = _dbskit(
        "sandbox", "orders", "create", "--campaign-id", "1", "--item", "a:1:1",
        "--status", "PLACING", "--url", "http://127.0.0.1:9", env={},
    )  # fmt: skip
    assert refused.returncode == 2
    assert "PLACING" in refused.stderr and "PROCESSING" in refused.stderr


@pytest.mark.decision("Starting a server")
@pytest.mark.parametrize(
    ("command", "banner"),
    [(("serve",), "dbskit Market emulator"), (("store", "serve"), "dbskit store")],
)
def test_a_taken_port_is_reported_before_any_banner(
    tmp_path: Path, command: tuple[str, ...], banner: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _dbskit(
            *command, "--port", str(port), "--data-dir", str(tmp_path / "data"), env={}
        )
    assert result.returncode == 2
    assert result.stderr.startswith(f"dbskit: cannot listen on 127.0.0.1:{port}: ")
    assert "--port" in result.stderr
    assert banner not in result.stdout
    assert result.stdout == ""
