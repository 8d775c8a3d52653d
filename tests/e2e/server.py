"""Real ``dbskit`` server processes on loopback, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dbskit_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBSKIT_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    started_in: float
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for_200(
    url: str, *, headers: dict[str, str] | None = None, timeout: float = 20.0
) -> float:
    """Seconds until ``url`` first answers 200."""
    started = time.perf_counter()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        try:
            if httpx.get(url, headers=headers, timeout=1.0).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


@contextmanager
def running_server(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    ready_path: str = "/sandbox/clock",
    ready_headers: dict[str, str] | None = None,
    cwd: Path | None = None,
    command: Sequence[str] = ("serve",),
    ready: Callable[[str], object] | None = None,
) -> Iterator[Server]:
    """Start ``python -m dbskit <command> <args>`` on a free port and wait until it is ready:
    ``ready(base_url)`` returns, or else ``ready_path`` first answers 200."""
    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="dbskit-server-", suffix=".log")[1])
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dbskit", *command, "--port", str(port), *args],
            env=dbskit_env(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        if ready is not None:
            ready(base_url)
        else:
            wait_for_200(base_url + ready_path, headers=ready_headers)
        yield Server(process, base_url, time.perf_counter() - started, log_path)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if the process is still there after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class SandboxSeller:
    """A campaign made through a server's /sandbox, with a full-access Api-Key and test orders."""

    business_id: int
    campaign_id: int
    api_key: str
    order_ids: list[int]


def sandbox_seller(
    base_url: str,
    sandbox_token: str,
    *,
    orders: int = 0,
    delivery_type: str = "DELIVERY",
    campaign: dict[str, object] | None = None,
) -> SandboxSeller:
    """Make a campaign (with the settings in ``campaign``), an Api-Key of every scope and
    ``orders`` PROCESSING test orders of one line each, over HTTP."""
    headers = {"Sandbox-Token": sandbox_token}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        made = http.post("/sandbox/campaigns", json=campaign or {})
        assert made.status_code == 201, made.text
        business_id, campaign_id = made.json()["businessId"], made.json()["campaignId"]
        issued = http.post(
            "/sandbox/tokens", json={"businessId": business_id, "scopes": ["all-methods"]}
        )
        assert issued.status_code == 201, issued.text
        order_ids = []
        for _ in range(orders):
            placed = http.post(
                f"/sandbox/campaigns/{campaign_id}/orders",
                json={
                    "items": [{"offerId": "sku-1", "count": 1, "price": 100}],
                    "delivery": {"type": delivery_type},
                },
            )
            assert placed.status_code == 201, placed.text
            order_ids.append(int(placed.json()["order"]["id"]))
    return SandboxSeller(int(business_id), int(campaign_id), issued.json()["apiKey"], order_ids)
