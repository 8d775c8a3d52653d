"""``dbskit serve`` as a user runs it: a real process, the sandbox token, start-up time."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import dbskit_env, free_port, running_server, wait_for_200

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"


@pytest.mark.rule("R-071", "R-080")
def test_first_start_then_restart_serve(tmp_path: Path) -> None:
    """Start-up time is measured by the benchmarks (docs/benchmarks.md), not asserted here."""
    data_dir = tmp_path / "data"
    args = ["--data-dir", str(data_dir)]
    headers = {"Sandbox-Token": TOKEN}
    env = {"DBSKIT_SANDBOX_TOKEN": TOKEN}
    with running_server(args, env=env, ready_headers=headers) as first:
        response = httpx.get(first.base_url + "/v2/unknown", timeout=5)
        assert response.status_code == 404
        assert response.json()["status"] == "ERROR"
    assert (data_dir / "dbskit.sqlite3").exists()
    assert (data_dir / "dbskit.query-log.sqlite3").exists()  # the query log's own file
    with running_server(args, env=env, ready_headers=headers) as again:
        response = httpx.get(again.base_url + "/sandbox/clock", headers=headers, timeout=5)
        assert response.status_code == 200


def _serve_once(data_dir: Path) -> tuple[str, str]:
    """Start on loopback without a token; return (token file content, printed output)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dbskit", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env=dbskit_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        token_file = data_dir / "sandbox-token"
        deadline = time.monotonic() + 20
        while not token_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        token = token_file.read_text().strip()
        wait_for_200(f"http://127.0.0.1:{port}/sandbox/clock", headers={"Sandbox-Token": token})
        assert httpx.get(f"http://127.0.0.1:{port}/sandbox/clock", timeout=5).status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    return token, output


@pytest.mark.decision("The Sandbox-Token")
def test_loopback_generates_keeps_and_prints_a_sandbox_token(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    token, output = _serve_once(data_dir)
    assert len(token) >= 32
    assert f"Sandbox-Token  {token}" in output
    assert stat.S_IMODE((data_dir / "sandbox-token").stat().st_mode) == 0o600
    again, _ = _serve_once(data_dir)
    assert again == token


@pytest.mark.decision("The Sandbox-Token")
def test_non_loopback_host_needs_an_explicit_sandbox_token(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dbskit", "serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
        env=dbskit_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "DBSKIT_SANDBOX_TOKEN" in result.stderr
    assert not (tmp_path / "dbskit.sqlite3").exists()
