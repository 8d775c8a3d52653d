"""``dbskit check-cart`` as a seller runs it: against a real ``dbskit store serve`` process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dbskit.cli.check_cart import REFUSED_PUSH_HINT
from dbskit.store_data.loaders import DEMO_SETTINGS
from tests.e2e.server import Server, dbskit_env, running_server

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-check-token"


def check_cart(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbskit", "check-cart", *args],
        env=dbskit_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = str(tmp_path_factory.mktemp("store"))
    args = ["--store-token", TOKEN, "--data-dir", data_dir]

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


@pytest.mark.rule("R-037", "R-039", "R-045", "R-067")
def test_our_store_passes_and_the_exit_code_is_zero(store: Server) -> None:
    result = check_cart(store.base_url, "--token", TOKEN)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"POST {store.base_url}/cart: 14 requests in ")
    assert lines[-1] == "PASSED: 0 error(s), 0 warning(s)"


@pytest.mark.rule("R-037")
def test_the_json_report_with_the_store_data_given_explicitly(store: Server) -> None:
    feed = DEMO_SETTINGS.parent / "catalogue.xml"
    args = ["--feed", str(feed), "--regions", str(DEMO_SETTINGS), "--json"]
    result = check_cart(store.base_url, "--token", TOKEN, "--auth-mode", "header", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert (report["passed"], report["errors"], report["warnings"]) == (True, 0, 0)
    assert report["findings"] == []
    assert [r["status"] for r in report["requests"]] == [200] * 11 + [400, 403, 403]
    assert report["elapsedSeconds"] > 0


@pytest.mark.rule("R-039", "R-045")
def test_a_wrong_token_fails_every_answer_and_the_exit_code_is_one(store: Server) -> None:
    result = check_cart(store.base_url, "--token", "not-the-token", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["passed"] is False
    envelope = [f for f in report["findings"] if f["check"] == "envelope"]
    assert len(envelope) == 11
    assert envelope[0]["message"] == "answered 403; a valid request expects 200"
    # The malformed request meets the token check first, so it cannot get its 400 either.
    (bad_request,) = [f for f in report["findings"] if f["check"] == "bad-request"]
    assert bad_request["message"] == (
        "answered 403 to a request with items[0].count 0; expected 400"
    )
    assert len(report["findings"]) == 12
    assert REFUSED_PUSH_HINT + "\n" in result.stderr


@pytest.mark.rule("R-039")
def test_url_mode_sends_the_token_as_a_parameter_the_header_store_refuses(store: Server) -> None:
    result = check_cart(store.base_url, "--token", TOKEN, "--auth-mode", "url")
    assert result.returncode == 1
    assert "answered 403; a valid request expects 200" in result.stdout
    assert result.stdout.splitlines()[-1] == "FAILED: 12 error(s), 0 warning(s)"
    assert REFUSED_PUSH_HINT + "\n" in result.stderr


@pytest.mark.rule("R-037")
def test_unreadable_store_data_exit_with_code_two(tmp_path: Path) -> None:
    broken = tmp_path / "store.toml"
    broken.write_text("[store]\ntime_zone = 5\n", encoding="utf-8")
    result = check_cart("http://127.0.0.1:9", "--token", TOKEN, "--regions", str(broken))
    assert result.returncode == 2
    assert result.stderr.startswith("dbskit: the store data cannot be loaded:\n")
    assert str(broken) in result.stderr


@pytest.mark.rule("R-049")
def test_store_data_serving_no_region_cannot_drive_the_checks(tmp_path: Path) -> None:
    settings = tmp_path / "store.toml"
    settings.write_text(
        '[catalogue]\npath = "catalogue.xml"\nfeed_id = 5\n\n'
        '[[regions]]\nid = 225\nname = "Россия"\ntype = "COUNTRY"\n',
        encoding="utf-8",
    )
    feed = DEMO_SETTINGS.parent / "catalogue.xml"
    args = ["--token", TOKEN, "--feed", str(feed), "--regions", str(settings)]
    result = check_cart("http://127.0.0.1:9", *args)
    assert result.returncode == 2
    assert result.stderr == (
        "dbskit: the store data cannot drive the checks: "
        "no region is served by a DELIVERY, PICKUP or POST rule\n"
    )
    assert result.stdout == ""


@pytest.mark.rule("R-037")
@pytest.mark.decision("Running check-cart")
def test_an_argument_that_is_not_a_url_is_a_usage_error() -> None:
    result = check_cart("not-a-url", "--token", TOKEN)
    assert result.returncode == 2
    assert result.stdout == ""
    text = " ".join(result.stderr.replace("│", " ").split())
    assert "Invalid value for 'URL': 'not-a-url' is not an http:// or https:// URL" in text


@pytest.mark.rule("R-045")
@pytest.mark.decision("Running check-cart")
def test_a_feed_alone_is_checked_with_the_demo_regions(store: Server, tmp_path: Path) -> None:
    feed = tmp_path / "my-feed.xml"
    shutil.copy(DEMO_SETTINGS.parent / "catalogue.xml", feed)
    result = check_cart(store.base_url, "--token", TOKEN, "--feed", str(feed), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert (report["passed"], report["errors"], report["warnings"]) == (True, 0, 0)
    # Without the demo's restriction the battery has no offer that cannot travel somewhere.
    scenarios = [r["scenario"] for r in report["requests"]]
    assert len(scenarios) == 13
    assert not any(name.startswith("not-deliverable-") for name in scenarios)
