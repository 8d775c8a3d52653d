"""``dbskit store serve`` as a seller runs it: a real process, SIGHUP reloads its data."""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbskit.store_data.loaders import DEMO_SETTINGS
from tests.cart_factories import MOSCOW, cart_body, line
from tests.e2e.server import Server, running_server

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-push-token"
HEADERS = {"Authorization": TOKEN}
KETTLE_FIVE = cart_body(MOSCOW, line("kettle-aqua-17", 5))


def kettle_count(cart_url: str) -> Any:
    response = httpx.post(cart_url, json=KETTLE_FIVE, headers=HEADERS, timeout=5)
    response.raise_for_status()
    return response.json()["cart"]["items"][0]["count"]


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("the condition did not come true in time")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.decision("POST /cart")
@pytest.mark.parametrize(
    ("command", "cart_path"),
    [
        pytest.param(("store", "serve"), "/cart", id="store-serve"),
        pytest.param(("serve",), "/store/cart", id="serve-with-the-market"),
    ],
)
def test_sighup_reloads_and_a_broken_file_keeps_the_old_data(
    tmp_path: Path, command: tuple[str, ...], cart_path: str
) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    settings = folder / "store.toml"
    catalogue = folder / "catalogue.xml"
    shutil.copy(DEMO_SETTINGS, settings)
    shutil.copy(DEMO_SETTINGS.parent / "catalogue.xml", catalogue)
    data_dir = str(tmp_path / "d")
    args = ["--store-data", str(settings), "--store-token", TOKEN, "--data-dir", data_dir]
    env = {"DBSKIT_SANDBOX_TOKEN": "sandbox-e2e"}

    def ready(base_url: str) -> None:
        eventually(lambda: kettle_count(base_url + cart_path) == 3)

    server: Server
    with running_server(args, command=command, ready=ready, env=env) as server:
        cart_url = server.base_url + cart_path
        edit(catalogue, "<count>3</count>", "<count>7</count>")
        server.process.send_signal(signal.SIGHUP)
        eventually(lambda: kettle_count(cart_url) == 5)

        edit(catalogue, "<count>7</count>", "<count>seven</count>")
        server.process.send_signal(signal.SIGHUP)
        eventually(lambda: "store data not reloaded" in server.output())
        assert "count: 'seven' is not a whole number of units" in server.output()
        assert server.process.poll() is None
        assert kettle_count(cart_url) == 5


@pytest.mark.decision("Loading the store data")
def test_store_serve_refuses_broken_data_at_start(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.e2e.server import dbskit_env

    settings = tmp_path / "store.toml"
    settings.write_text("[catalogue]\npath = 'x.csv'\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbskit",
            "store",
            "serve",
            "--store-data",
            str(settings),
            "--data-dir",
            str(tmp_path),
        ],
        env=dbskit_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "dbskit: the store data cannot be loaded:\n"
        f"{settings}: catalogue.feed_id: Field required\n"
        f"{settings}: regions: Field required\n"
    )


@pytest.mark.rule("R-039")
@pytest.mark.decision("POST /cart")
def test_serve_mounts_the_demo_store_with_a_generated_push_token(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {"DBSKIT_SANDBOX_TOKEN": "sandbox-e2e"}
    args = ["--data-dir", str(data_dir)]
    with running_server(args, env=env, ready_headers={"Sandbox-Token": "sandbox-e2e"}) as server:
        token = (data_dir / "store-token").read_text().strip()
        body = cart_body(MOSCOW, line("kettle-aqua-17", 5))
        response = httpx.post(
            server.base_url + "/store/cart", json=body, headers={"Authorization": token}, timeout=5
        )
        assert response.status_code == 200
        assert response.json()["cart"]["items"][0]["count"] == 3
        assert f"push token     {token} (HEADER)" in server.output()
