"""What the browser tests share besides their fixtures: the Chromium they drive, the artifacts a
failed test leaves, the DOM checks (labels, inert content) and keyboard moves.

Playwright is pointed at the machine's own Chromium (Debian's ``chromium`` package, which
``.ci/run`` installs); the browser builds Playwright can download are never used.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page, Request

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing the browser would fetch or start on its own: the sandbox runs offline.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Playwright waits this long (ms) for an element or a navigation before a test fails: a page of
# the cabinet on loopback answers in far less, so only a missing element ever reaches it.
ACTION_TIMEOUT_MS = 10_000
ARTIFACTS = Path("test-artifacts") / "browser"


def missing_browser_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
    return None


def save_failure_artifacts(page: Page, test_id: str, root: Path) -> list[Path]:
    """A screenshot and the HTML of ``page`` under ``root/test-artifacts/browser``, named after
    the test; the paths written."""
    folder = root / ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_id).strip("_")
    screenshot, html = folder / f"{stem}.png", folder / f"{stem}.html"
    page.screenshot(path=str(screenshot), full_page=True)
    html.write_text(page.content(), encoding="utf-8")
    return [screenshot, html]


# The fields a person fills in or picks: buttons carry their own text and hidden inputs are not
# shown. A field is labelled by a <label> (wrapping it or naming it with ``for``), by
# ``aria-labelledby`` or by ``aria-label``, each with some text.
UNLABELLED_FIELDS_JS = """
() => {
  const skipped = new Set(["hidden", "submit", "button", "reset", "image"]);
  const text = (s) => (s || "").replace(/\\s+/g, " ").trim();
  const fields = [...document.querySelectorAll("input, select, textarea")]
    .filter((el) => !skipped.has((el.getAttribute("type") || "").toLowerCase()));
  const describe = (el) =>
    `<${el.tagName.toLowerCase()} name=${el.getAttribute("name")} id=${el.id}` +
    ` type=${el.getAttribute("type")}>`;
  return fields.filter((el) => {
    if ([...el.labels].some((label) => text(label.textContent))) return false;
    const ids = text(el.getAttribute("aria-labelledby")).split(" ").filter(Boolean);
    if (ids.some((id) => text(document.getElementById(id)?.textContent))) return false;
    return !text(el.getAttribute("aria-label"));
  }).map(describe);
}
"""


def unlabelled_fields(page: Page) -> list[str]:
    """Every form field of the page without a label, described by its tag, name, id and type."""
    found: list[str] = page.evaluate(UNLABELLED_FIELDS_JS)
    return found


FIELD_SELECTOR = (
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])"
    ":not([type=image]), select, textarea"
)


def form_field_count(page: Page) -> int:
    """How many fields the label check looks at on the page."""
    count: int = page.locator(FIELD_SELECTOR).count()
    return count


def tab_to(page: Page, target: Locator, *, presses: int = 80) -> None:
    """Press Tab until ``target`` has the focus (it may have it already, by ``autofocus``); fail
    when it never gets it."""
    for _ in range(presses):
        if target.evaluate("(el) => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} never got the focus in {presses} presses of Tab")


# A payload that, if it ever ran, would set this window flag, open a dialog and log this marker;
# its <img> would also ask the server for ``x``.
PAYLOAD_FLAG = "__dbskitPwned"
PAYLOAD_MARKER = "dbskit-payload-ran"
HOSTILE_MARKUP = (
    f"<script>window.{PAYLOAD_FLAG}='script';console.log('{PAYLOAD_MARKER}');"
    "alert('script')</script>"
    f"<img src=x onerror=\"window.{PAYLOAD_FLAG}='img';console.log('{PAYLOAD_MARKER}');"
    "alert('img')\">"
    f"<svg onload=\"window.{PAYLOAD_FLAG}='svg'\"></svg>"
)
# Installed before any page script: collects the Content-Security-Policy's refusals, so a test
# can tell an escaped payload (never refused: it never became markup) from a blocked one.
CSP_LISTENER_JS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@dataclass
class PayloadWatch:
    """What a page did that only a running payload would: dialogs, console lines, requests."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.add_init_script(CSP_LISTENER_JS)
        page.on("dialog", self._on_dialog)
        page.on("console", self._on_console)
        page.on("request", self._on_request)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append(message.text)

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def effects(self, page: Page) -> dict[str, Any]:
        """Everything on ``page`` the payload would have caused; all empty when it ran nothing."""
        return {
            "dialogs": self.dialogs,
            "flag": page.evaluate(f"window.{PAYLOAD_FLAG} ?? null"),
            "console": [line for line in self.console if PAYLOAD_MARKER in line],
            "image requests": [url for url in self.requests if url.rsplit("/", 1)[-1] == "x"],
            "script refusals": [
                v
                for v in page.evaluate("window.__cspViolations ?? []")
                if str(v).startswith("script-src")
            ],
            "handler attributes": page.evaluate(
                "() => [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes]"
                ".filter((a) => a.name.startsWith('on')).map((a) => el.tagName + ' ' + a.name))"
            ),
        }


NO_EFFECTS: dict[str, object] = {
    "dialogs": [],
    "flag": None,
    "console": [],
    "image requests": [],
    "script refusals": [],
    "handler attributes": [],
}
