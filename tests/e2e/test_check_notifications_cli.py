"""``dbskit check-notifications`` as a seller runs it: the report, the exit codes, and dbskit's
own store (``dbskit store serve``) checked over real HTTP."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.server import Server, dbskit_env, running_server
from tests.http.test_check_notifications import TestStore, running
from tests.notification_listener import closed_port_url

pytestmark = [pytest.mark.e2e]

COMMAND = (sys.executable, "-m", "dbskit", "check-notifications")


def check_notifications(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        env=dbskit_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def check_in_background(*args: str) -> tuple[int, str, str]:
    """The command as a child process, while this event loop serves the store it calls."""
    child = await asyncio.create_subprocess_exec(
        *COMMAND,
        *args,
        env=dbskit_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode is not None
    return child.returncode, out.decode(), err.decode()


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-113", "R-115", "R-117", "C-13")
async def test_a_store_as_the_spec_wants_it_passes_and_the_exit_code_is_zero() -> None:
    async with running(TestStore()) as url:
        code, out, err = await check_in_background(url)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith(f"POST {url}/notification: 3 notifications in ")
    assert [line.split()[:3] for line in lines[2:7]] == [
        ["PASSED", "ping", "C-13"],
        ["PASSED", "content-type", "R-113"],
        ["PASSED", "answer-schema", "R-115"],
        ["PASSED", "unknown-type", "R-115"],
        ["PASSED", "repeat", "R-117"],
    ]
    assert lines[-1] == "PASSED: 0 of 5 check(s) failed, 0 not judged"


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-113", "R-116")
def test_a_store_that_refuses_connections_fails_with_exit_code_one() -> None:
    url = closed_port_url()
    result = check_notifications(url, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert (report["url"], report["passed"], report["failed"]) == (
        f"{url}/notification",
        False,
        3,
    )
    pairs = {c["check"]: (c["state"], c["errorType"], c["errorSubtype"]) for c in report["checks"]}
    refused = ("FAILED", "CANT_GET_RESPONSE", "CONNECTION_REFUSED")
    assert pairs["ping"] == pairs["unknown-type"] == pairs["repeat"] == refused
    assert pairs["content-type"] == ("SKIPPED", None, None)
    assert {n["errorSubtype"] for n in report["notifications"]} == {"CONNECTION_REFUSED"}


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-113")
@pytest.mark.parametrize("url", ["127.0.0.1:8485", "http://host:port", "http://host/?x=1"])
def test_a_url_that_cannot_be_a_store_url_is_a_usage_error(url: str) -> None:
    result = check_notifications(url)
    assert result.returncode == 2
    assert "Invalid value for 'URL'" in result.stderr


# --- dbskit's own store --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = str(tmp_path_factory.mktemp("store"))
    # The order notifications name an order no Market has: the store's work on them goes to a
    # closed port, never to another test's server.
    args = ["--data-dir", data_dir, "--store-market-url", closed_port_url()]

    def ready(base_url: str) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.post(base_url + "/cart", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise TimeoutError("the store did not start")

    with running_server(args, command=("store", "serve"), ready=ready) as server:
        yield server


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-113", "R-114", "R-115", "R-116", "R-117", "C-13")
def test_dbskit_store_passes_every_check_with_order_notifications(store: Server) -> None:
    result = check_notifications(store.base_url, "--order-notifications", "--json")
    assert result.returncode == 0, result.stdout + result.stderr + store.output()
    report = json.loads(result.stdout)
    assert {c["state"] for c in report["checks"]} == {"PASSED"}
    assert len(report["checks"]) == 11
