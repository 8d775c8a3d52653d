"""One ``dbskit serve`` process for a test session, or a server already running elsewhere.

The process is ``sys.executable -m dbskit``: the dbskit installed where the tests run. It listens
on a free loopback port, keeps its database in a data dir of the session's own, and gets a fresh
Sandbox-Token; the readiness probe is ``GET /sandbox/clock`` answering 200.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

from dbskit.testing.control import SANDBOX_TOKEN_HEADER, SandboxControl

LOOPBACK: Final = "127.0.0.1"
# ours: a cold start (migrations on a new SQLite file, the store data loaded) takes about a
# second; a loaded CI machine gets a generous margin before the session fails.
READY_TIMEOUT_SECONDS: Final = 60.0
READY_POLL_SECONDS: Final = 0.02
# ours: SIGTERM lets the server finish its calls and flush the query log; then SIGKILL.
STOP_TIMEOUT_SECONDS: Final = 10.0
# Another process may take the free port between the probe and the server's bind: try again.
START_ATTEMPTS: Final = 3
LOG_FILE_NAME: Final = "server.log"


class ServerDidNotStart(RuntimeError):
    """The server process ended, or did not answer, before it was ready."""


@dataclass
class DbskitServer:
    """A dbskit server the session talks to: its base URL, its Sandbox-Token and a control-plane
    client. ``owned`` is true for the server the plugin started (then ``data_dir`` and
    ``log_path`` are where its database and output are)."""

    base_url: str
    sandbox_token: str
    owned: bool
    data_dir: Path | None = None
    log_path: Path | None = None
    control: SandboxControl = field(init=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.control = SandboxControl(self.base_url, self.sandbox_token)

    def output(self) -> str:
        """What the owned server has printed so far ("" for a server running elsewhere)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Close the control client and, for an owned server, end the process."""
        self.control.close()
        if self._process is not None:
            _stop(self._process)
            self._process = None


def start_server(data_dir: Path, *, extra_args: Sequence[str] = ()) -> DbskitServer:
    """Start ``dbskit serve`` on a free loopback port with ``data_dir`` and wait until ready."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / LOG_FILE_NAME
    token = secrets.token_urlsafe(24)
    failure = ""
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-m",
                    "dbskit",
                    "serve",
                    "--host",
                    LOOPBACK,
                    "--port",
                    str(port),
                    "--data-dir",
                    str(data_dir),
                    *extra_args,
                ],
                env=_server_env(token),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://{LOOPBACK}:{port}"
        if _wait_until_ready(process, base_url, token):
            server = DbskitServer(base_url, token, owned=True, data_dir=data_dir, log_path=log_path)
            server._process = process
            return server
        exited = process.poll() is not None
        _stop(process)
        failure = log_path.read_text(errors="replace")
        if not exited:  # alive but silent: another attempt would wait as long again
            break
    raise ServerDidNotStart(f"dbskit serve did not start; its output:\n{failure}")


def external_server(base_url: str, sandbox_token: str) -> DbskitServer:
    """A server started by someone else: checked once, never stopped by the plugin."""
    server = DbskitServer(base_url.rstrip("/"), sandbox_token, owned=False)
    try:
        server.control.clock()
    except Exception as exc:
        server.stop()
        raise ServerDidNotStart(f"the dbskit server at {base_url} did not answer: {exc}") from exc
    return server


def _server_env(token: str) -> dict[str, str]:
    """The test run's environment less its DBSKIT_* variables: a seller's shell settings (a
    database URL above all) must not reach a server whose data the plugin resets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSKIT_")}
    env["DBSKIT_SANDBOX_TOKEN"] = token
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, token: str) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    headers = {SANDBOX_TOKEN_HEADER: token}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if httpx.get(base_url + "/sandbox/clock", headers=headers, timeout=1.0).is_success:
                return True
        except httpx.TransportError:
            pass
        time.sleep(READY_POLL_SECONDS)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
