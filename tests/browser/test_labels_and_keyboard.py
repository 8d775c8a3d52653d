"""Every form field of every cabinet page has a label, and the main flows (sign in, create a
test order, open its timeline, filter the query log) work with the keyboard alone."""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.browser import cabinet, partner_api
from tests.browser.harness import form_field_count, tab_to, unlabelled_fields

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from tests.browser.conftest import CabinetServer

pytestmark = [pytest.mark.browser]

# The pages a signed-in seller reaches by following the cabinet's links, each kind once (ids
# in a path make no new kind of page), from its home, the orders list.
CABINET_PAGES = {
    "/cabinet/orders",
    "/cabinet/orders/N",
    "/cabinet/orders/N/keys",
    "/cabinet/requests",
    "/cabinet/requests/N",
    "/cabinet/outbox",
    "/cabinet/campaigns",
    "/cabinet/campaigns/N",
    "/cabinet/sandbox",
}
# Ours: more than every kind of page the cabinet has; a crawl that goes on past it is a bug.
CRAWL_MAX_PAGES = 40
NOT_PAGES = ("/cabinet/static/",)


def page_kind(path: str) -> str:
    return re.sub(r"/\d+", "/N", path)


def crawl(page: Page, server: CabinetServer) -> dict[str, list[str]]:
    """Visit each kind of cabinet page reachable by links from the orders list; for each, the
    form fields it has without a label."""
    found: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    queue = deque([cabinet.ORDERS_PATH])
    while queue and len(found) < CRAWL_MAX_PAGES:
        path = queue.popleft()
        kind = page_kind(path)
        if kind in found:
            continue
        page.goto(server.url(path))
        assert urlsplit(page.url).path == path, f"{path} sent the browser to {page.url}"
        found[kind] = unlabelled_fields(page)
        counts[kind] = form_field_count(page)
        hrefs: list[str] = page.locator("a[href]").evaluate_all(
            "(links) => links.map((link) => link.href)"
        )
        for href in hrefs:
            target = urlsplit(href)
            if target.netloc != urlsplit(server.base_url).netloc:
                continue
            if target.path.startswith(cabinet.CABINET + "/") and not target.path.startswith(
                NOT_PAGES
            ):
                queue.append(target.path)
    assert sum(counts.values()) > len(counts), f"too few fields to be a real check: {counts}"
    return found


@pytest.mark.decision("The cabinet in a real browser")
def test_every_form_field_has_a_label(page: Page, cabinet_server: CabinetServer) -> None:
    server = cabinet_server
    page.goto(server.url(cabinet.SIGN_IN_PATH))
    assert unlabelled_fields(page) == []
    assert form_field_count(page) == 1

    cabinet.sign_in(page, server.base_url, server.sandbox_token)
    order_id = cabinet.create_test_order(
        page, server.base_url, cabinet.TestOrderForm(server.demo_campaign_id, "game-labels")
    )
    item_id = int(page.get_by_test_id("order-items").locator("tbody td").first.inner_text())
    partner_api.deliver_keys(
        server.base_url,
        server.demo_api_key,
        server.demo_campaign_id,
        order_id,
        item_id,
        ["LABEL-0001"],
        slip="<p>Redeem</p>",
    )
    unlabelled = crawl(page, server)
    assert set(unlabelled) >= CABINET_PAGES
    assert {kind: fields for kind, fields in unlabelled.items() if fields} == {}

    # The page a new key is shown on, once, is reached by a form rather than a link.
    page.goto(server.url("/cabinet/campaigns"))
    form = page.get_by_test_id("create-key-form")
    form.get_by_label("Business id").fill("10000001")
    form.get_by_label("all-methods", exact=True).check()
    form.get_by_role("button", name="Issue").click()
    page.get_by_test_id("issued-key").wait_for()
    assert unlabelled_fields(page) == []


def press_down_until(page: Page, field: Locator, value: str, *, presses: int = 20) -> None:
    """Change a focused <select> with the arrow key until it shows ``value``."""
    for _ in range(presses):
        if field.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    assert field.input_value() == value


@pytest.mark.decision("The cabinet in a real browser")
def test_main_flows_by_keyboard_alone(page: Page, cabinet_server: CabinetServer) -> None:
    """Tab moves between the links and fields, Enter follows a link or sends a form: signing in,
    creating a digital test order, opening it from the orders list and filtering the query log
    by it need no pointer."""
    server = cabinet_server
    page.goto(server.url(cabinet.CABINET))
    tab_to(page, page.get_by_label("Sandbox token"))
    page.keyboard.type(server.sandbox_token)
    page.keyboard.press("Enter")
    page.wait_for_url(server.url(cabinet.ORDERS_PATH))

    nav = page.get_by_test_id("nav")
    tab_to(page, nav.get_by_role("link", name="Sandbox"))
    page.keyboard.press("Enter")
    page.wait_for_url(server.url(cabinet.SANDBOX_PATH))
    form = cabinet.new_test_order_form(page)
    tab_to(page, form.get_by_label("Offer id"))
    page.keyboard.press("Control+A")
    page.keyboard.type("game-keyboard")
    tab_to(page, form.get_by_label("Delivery", exact=True))
    press_down_until(page, form.get_by_label("Delivery", exact=True), "DIGITAL")
    tab_to(page, form.get_by_role("button", name="Create"))
    page.keyboard.press("Enter")
    order_id = cabinet.opened_order_id(page)
    assert page.get_by_test_id("order-status").inner_text() == "PROCESSING / STARTED"
    partner_api.get_order(server.base_url, server.demo_api_key, server.demo_campaign_id, order_id)

    tab_to(page, page.get_by_test_id("nav").get_by_role("link", name="Orders"))
    page.keyboard.press("Enter")
    page.wait_for_url(server.url(cabinet.ORDERS_PATH))
    tab_to(page, page.get_by_role("link", name=str(order_id), exact=True))
    page.keyboard.press("Enter")
    assert cabinet.opened_order_id(page) == order_id
    assert cabinet.timeline_kinds(page)[0] == "PLACED"
    assert page.get_by_test_id("offer-name").count() == 1

    tab_to(page, page.get_by_test_id("nav").get_by_role("link", name="Query log"))
    page.keyboard.press("Enter")
    page.wait_for_url(server.url(cabinet.QUERY_LOG_PATH))
    tab_to(page, page.get_by_test_id("query-log-filter-form").get_by_label("Order id"))
    page.keyboard.type(str(order_id))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"order={order_id}"))
    rows = page.get_by_test_id("query-log-row")
    assert rows.evaluate_all("(rows) => rows.map((row) => row.dataset.operation)") == ["getOrder"]
    tab_to(page, rows.first.get_by_role("link").first)
    page.keyboard.press("Enter")
    assert page.get_by_test_id("entry-status").inner_text() == "200"
