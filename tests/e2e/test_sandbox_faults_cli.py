"""A real ``dbskit serve``: a dropped connection closes the socket without a byte of answer, and
``dbskit sandbox faults ...`` and ``dbskit sandbox reset`` drive the server."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from dbskit.cli import app
from tests.e2e.server import running_server, sandbox_seller

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"
HANG_DETECTOR_SECONDS = 10.0  # the server closes at once; this only stops a broken run hanging
runner = CliRunner()


def sandbox(*args: str, url: str) -> dict[str, object]:
    result = runner.invoke(app, ["sandbox", *args, "--url", url, "--sandbox-token", TOKEN])
    assert result.exit_code == 0, result.output
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def raw_get(base_url: str, path: str, api_key: str) -> bytes:
    """One keep-alive GET on a socket of its own: everything the server sent before it closed the
    connection (or the first answer's bytes, when it keeps the connection open)."""
    parts = urlsplit(base_url)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nApi-Key: {api_key}\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=HANG_DETECTOR_SECONDS) as s:
        s.sendall(request)
        return s.recv(65536)


@pytest.mark.decision("Fault injection")
@pytest.mark.decision("Resetting the sandbox")
def test_a_dropped_connection_and_the_cli(tmp_path: Path) -> None:
    args = ["--data-dir", str(tmp_path / "data"), "--sandbox-token", TOKEN]
    with running_server(args, ready_headers={"Sandbox-Token": TOKEN}) as server:
        url = server.base_url
        seller = sandbox_seller(url, TOKEN, orders=1)
        path = f"/v2/campaigns/{seller.campaign_id}/orders/{seller.order_ids[0]}"
        rule = sandbox(
            "faults", "add", "--operation-id", "getOrder", "--fault", "DROP_CONNECTION",
            "--next", "1", "--campaign-id", str(seller.campaign_id), url=url,
        )  # fmt: skip
        assert raw_get(url, path, seller.api_key) == b""  # closed, not a byte answered
        assert raw_get(url, path, seller.api_key).startswith(b"HTTP/1.1 200 OK\r\n")

        listed = sandbox("faults", "list", url=url)
        assert listed["rules"] == [{**rule, "calls": 2, "injected": 1}]
        log = httpx.get(url + "/sandbox/requests", headers={"Sandbox-Token": TOKEN}, timeout=5)
        answered, dropped = log.json()["requests"][:2]
        assert (dropped["status"], dropped["injectedFault"]) == (
            0,
            {"ruleId": rule["id"], "fault": "DROP_CONNECTION"},
        )
        assert answered["status"] == 200
        assert sandbox("faults", "clear", str(rule["id"]), url=url) == {"deleted": 1}
        assert sandbox("faults", "clear", url=url) == {"deleted": 0}

        done = sandbox("reset", "--campaign-id", str(seller.campaign_id), url=url)
        assert (done["clockReset"], done["deleted"]["orders"]) == (False, 1)  # type: ignore[index]
        assert raw_get(url, path, seller.api_key).startswith(b"HTTP/1.1 404 Not Found\r\n")
        done = sandbox("reset", url=url)
        assert done["clockReset"] is True
        keys_work = httpx.get(url + "/v2/delivery/services", headers={"Api-Key": seller.api_key})
        assert keys_work.status_code == 200
