"""Fixtures of the browser tests: one real ``dbskit serve`` process for them all, one Chromium
per module, a fresh page per test, and a screenshot and the HTML of that page when the test fails.

The server is shared because starting it (migrations on a fresh database, the demo store) costs
more than all the tests' steps: each test makes the orders it looks at and asserts only on them,
and moving the sandbox clock forward changes nothing another test relies on.

Every test here skips, with the reason, when Playwright or /usr/bin/chromium is missing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.harness import (
    ACTION_TIMEOUT_MS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    missing_browser_reason,
    save_failure_artifacts,
)
from tests.e2e.server import running_server

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

SANDBOX_TOKEN = "browser-sandbox-token"
# README, "A first call": the demo business and campaign a fresh data dir starts with.
DEMO_CAMPAIGN_ID = 21000001
# OQ-05's delay set far beyond a test's run: a digital order becomes DELIVERED only when a test
# moves the sandbox clock, never because real time passed.
DIGITAL_DELIVERY_DELAY_SECONDS = 3600

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, for the page fixture to see whether it failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@dataclass(frozen=True)
class CabinetServer:
    """A running ``dbskit serve`` with a data dir of its own, and what tests sign in and call
    with."""

    base_url: str
    sandbox_token: str
    demo_api_key: str
    demo_campaign_id: int
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="package")
def browser_ready() -> None:
    reason = missing_browser_reason()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="package")
def cabinet_server(
    browser_ready: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CabinetServer]:
    data_dir = tmp_path_factory.mktemp("cabinet-data")
    (data_dir / "sandbox-token").write_text(SANDBOX_TOKEN + "\n")
    args = [
        "--data-dir",
        str(data_dir),
        "--digital-delivery-delay-seconds",
        str(DIGITAL_DELIVERY_DELAY_SECONDS),
    ]
    with running_server(args, ready_headers={"Sandbox-Token": SANDBOX_TOKEN}) as server:
        demo_key = (data_dir / "demo-api-key").read_text().strip()
        yield CabinetServer(
            server.base_url, SANDBOX_TOKEN, demo_key, DEMO_CAMPAIGN_ID, server.log_path
        )


@pytest.fixture(scope="module")
def browser_context(browser_ready: None) -> Iterator[BrowserContext]:
    """Chromium with a profile (user-data-dir) of its own, made for this module and removed
    after it."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="dbskit-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_FLAGS),
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new tab with no cookies (so signed out); on failure its screenshot and HTML are kept."""
    browser_context.clear_cookies()
    tab = browser_context.new_page()
    tab.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield tab
        reports = request.node.stash.get(_REPORTS, {})
        if any(report.failed for report in reports.values()):
            _keep_artifacts(tab, request)
    finally:
        tab.close()


def _keep_artifacts(tab: Page, request: pytest.FixtureRequest) -> None:
    """Save the failed test's page and print where it is, with the server's log."""
    from playwright.sync_api import Error

    try:
        paths = save_failure_artifacts(tab, request.node.nodeid, request.config.rootpath)
    except Error as exc:  # a crashed or closed page: the failure itself says more
        print(f"browser test failed; its page could not be saved: {exc}")
    else:
        print("browser test failed; kept " + " and ".join(str(p) for p in paths))
    if "cabinet_server" in request.fixturenames:
        server: CabinetServer = request.getfixturevalue("cabinet_server")
        print(f"the server's log: {server.log_path}")
