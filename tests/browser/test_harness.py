"""The browser tests' own checks, on pages made here: the label check finds what it must, so
that its silence over the cabinet's pages means something."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import harness
from tests.browser.harness import (
    HOSTILE_MARKUP,
    NO_EFFECTS,
    PAYLOAD_MARKER,
    PayloadWatch,
    save_failure_artifacts,
    unlabelled_fields,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser]

LABELLED = """
<label for="a">A</label><input id="a" name="a">
<label>B <select name="b"><option>1</option></select></label>
<span id="c-label">C</span><textarea name="c" aria-labelledby="c-label"></textarea>
<input name="d" aria-label="D">
<input type="hidden" name="csrf"><button type="submit">Go</button>
"""
UNLABELLED = """
<label for="elsewhere">A</label><input id="a" name="a">
<label></label><select name="b"></select>
<textarea name="c" aria-labelledby="nothing"></textarea>
<input name="d" aria-label="  ">
<p>E <input name="e" type="checkbox"></p>
"""


def test_label_check_passes_labelled_fields(page: Page) -> None:
    page.set_content(LABELLED)
    assert unlabelled_fields(page) == []


def test_label_check_names_each_unlabelled_field(page: Page) -> None:
    page.set_content(UNLABELLED)
    assert unlabelled_fields(page) == [
        "<input name=a id=a type=null>",
        "<select name=b id= type=null>",
        "<textarea name=c id= type=null>",
        "<input name=d id= type=null>",
        "<input name=e id= type=checkbox>",
    ]


def test_payload_watch_sees_a_payload_that_runs(page: Page) -> None:
    """Without escaping or a Content-Security-Policy the payload runs, and the watch says so."""
    watch = PayloadWatch()
    watch.attach(page)
    page.set_content(HOSTILE_MARKUP)
    for _ in range(200):  # the image's error event comes after the page has loaded
        if len(watch.dialogs) == 2:
            break
        page.wait_for_timeout(10)
    effects = watch.effects(page)
    assert sorted(effects["dialogs"]) == ["img", "script"]
    assert effects["flag"] in {"script", "img", "svg"}
    assert effects["console"] == [PAYLOAD_MARKER, PAYLOAD_MARKER]
    assert effects["handler attributes"] == ["IMG onerror", "svg onload"]
    assert effects != NO_EFFECTS


def test_a_failed_test_leaves_a_screenshot_and_the_html(page: Page, tmp_path: Path) -> None:
    page.set_content("<h1>Order 7</h1>")
    paths = save_failure_artifacts(page, "tests/browser/test_x.py::test_y[a b]", tmp_path)
    folder = tmp_path / "test-artifacts" / "browser"
    assert paths == [
        folder / "tests_browser_test_x.py_test_y_a_b.png",
        folder / "tests_browser_test_x.py_test_y_a_b.html",
    ]
    assert paths[0].read_bytes().startswith(b"\x89PNG")
    assert "<h1>Order 7</h1>" in paths[1].read_text()


def test_without_chromium_the_tests_say_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("playwright", reason="without Playwright that is the reason given")
    monkeypatch.setattr(harness, "CHROMIUM", tmp_path / "chromium")
    assert harness.missing_browser_reason() == (
        f"{tmp_path / 'chromium'} is missing (apt-get install chromium chromium-driver)"
    )
