"""A seller follows a digital test order in a real browser: signs in with the sandbox token,
creates the order in the cabinet, sends its keys through the Partner API, moves the sandbox
clock and reads the whole story in the order's timeline; then filters the query log."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.browser import cabinet, partner_api

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import CabinetServer

pytestmark = [pytest.mark.browser]

KEYS = ["AAAA-1111", "BBBB-2222"]
SLIP = "<p>Redeem at example.com</p>"
# The cabinet's session cookie (src/dbskit/market/sandbox/browser_sessions.py sets it).
SESSION_COOKIE_FLAGS = {"httpOnly": True, "sameSite": "Strict"}


@pytest.mark.decision("Signing in to the cabinet")
def test_sign_in_with_the_sandbox_token(page: Page, cabinet_server: CabinetServer) -> None:
    """The cabinet asks for the token, refuses a wrong one, and a right one opens it; the token
    then stays out of the page, its address and every cookie the browser can read."""
    page.goto(cabinet_server.url("/cabinet/orders"))
    assert page.url == cabinet_server.url(cabinet.SIGN_IN_PATH)

    page.get_by_label("Sandbox token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_test_id("sign-in-error").inner_text() == "That is not the sandbox token."
    assert page.get_by_test_id("nav").count() == 0

    cabinet.sign_in(page, cabinet_server.base_url, cabinet_server.sandbox_token)
    assert page.get_by_role("heading", level=1).inner_text() == "Orders"
    assert page.get_by_test_id("nav").is_visible()
    assert cabinet_server.sandbox_token not in page.content()
    assert cabinet_server.sandbox_token not in page.url
    cookies = page.context.cookies()
    assert cookies, "signing in sets the session cookie"
    assert all(cabinet_server.sandbox_token not in cookie["value"] for cookie in cookies)
    assert all(
        {"httpOnly": c.get("httpOnly"), "sameSite": c.get("sameSite")} == SESSION_COOKIE_FLAGS
        for c in cookies
    )
    assert page.evaluate("document.cookie") == ""

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/cabinet/sign-in\?done=signed-out$"))
    assert page.get_by_test_id("notice").inner_text() == "Signed out."
    page.goto(cabinet_server.url("/cabinet/orders"))
    assert page.url == cabinet_server.url(cabinet.SIGN_IN_PATH)


@pytest.mark.rule("R-010", "R-011", "OQ-05")
@pytest.mark.decision("The cabinet", "Large parts of a page")
def test_a_digital_order_story_in_the_timeline(page: Page, cabinet_server: CabinetServer) -> None:
    """OQ-05: keys sent through the Partner API, then the e-mail delay passed on the sandbox
    clock (moved in the cabinet): the timeline shows the keys, the e-mail and DELIVERED, in
    sandbox-clock order, with who made each change."""
    server = cabinet_server
    cabinet.sign_in(page, server.base_url, server.sandbox_token)
    order_id = cabinet.create_test_order(
        page,
        server.base_url,
        cabinet.TestOrderForm(server.demo_campaign_id, "game-1", "A game", count=len(KEYS)),
    )
    assert page.get_by_test_id("notice").inner_text() == "Test order created."
    assert page.get_by_test_id("order-status").inner_text() == "PROCESSING / STARTED"
    assert cabinet.timeline_kinds(page)[0] == "PLACED"

    order = partner_api.get_order(
        server.base_url, server.demo_api_key, server.demo_campaign_id, order_id
    )
    item_id = int(order["items"][0]["id"])
    partner_api.deliver_keys(
        server.base_url,
        server.demo_api_key,
        server.demo_campaign_id,
        order_id,
        item_id,
        KEYS,
        slip=SLIP,
    )
    page.reload()
    kinds = cabinet.timeline_kinds(page)
    assert "KEYS" in kinds
    assert "EMAIL" not in kinds, "the e-mail waits for the delay on the sandbox clock"
    assert page.get_by_test_id("order-status").inner_text() == "PROCESSING / STARTED"

    cabinet.advance_clock(page, hours=1)  # the server's delay: DIGITAL_DELIVERY_DELAY_SECONDS
    assert page.get_by_test_id("notice").inner_text() == (
        "Clock advanced; the events that fell due ran."
    )
    assert cabinet.opened_order_id(page) == order_id
    assert page.get_by_test_id("order-status").inner_text() == (
        "DELIVERED / DELIVERY_SERVICE_DELIVERED"
    )
    kinds = cabinet.timeline_kinds(page)
    assert kinds.index("KEYS") < kinds.index("EMAIL")
    assert kinds.index("KEYS") < kinds.index("STATUS")

    delivered = page.locator("[data-testid=timeline-event][data-kind=STATUS]").last
    assert delivered.get_attribute("data-actor") == "MARKET"
    assert delivered.get_by_test_id("event-title").inner_text() == (
        "DELIVERED/DELIVERY_SERVICE_DELIVERED"
    )
    email = page.locator("[data-testid=timeline-event][data-kind=EMAIL]")
    assert email.get_by_test_id("event-title").inner_text() == f"Your keys for order {order_id}"
    body = email.get_by_test_id("email-body")
    assert body.locator("li").all_inner_texts() == KEYS
    assert body.get_by_text("Redeem at example.com").count() == 1

    page.get_by_test_id("keys-link").click()
    assert page.get_by_test_id("keys-range").inner_text() == (
        f"Keys 1–{len(KEYS)} of {len(KEYS)}, as last accepted."
    )
    rows = page.get_by_test_id("key-row").locator("code").all_inner_texts()
    assert rows == KEYS


@pytest.mark.decision("The cabinet's pages and parameters")
def test_filter_the_query_log(page: Page, cabinet_server: CabinetServer) -> None:
    """The query log filtered by operation and status, then by order, lists exactly the calls
    that match, and an entry opens with its request and answer bodies."""
    server = cabinet_server
    placed = partner_api.place_test_order(
        server.base_url,
        server.sandbox_token,
        server.demo_campaign_id,
        items=[{"offerId": "kettle-1", "count": 1, "price": 990}],
        delivery_type="DELIVERY",
    )
    order_id = int(placed["id"])
    partner_api.get_order(server.base_url, server.demo_api_key, server.demo_campaign_id, order_id)
    refused = partner_api.deliver_keys_answer(
        server.base_url,
        server.demo_api_key,
        server.demo_campaign_id,
        order_id,
        int(placed["items"][0]["id"]),
        ["CCCC-3333"],
        slip=SLIP,
    )
    assert refused.status_code == 400  # keys for an order that is not DIGITAL

    cabinet.sign_in(page, server.base_url, server.sandbox_token)
    page.goto(server.url(cabinet.QUERY_LOG_PATH))
    filters = page.get_by_test_id("query-log-filter-form")
    filters.get_by_label("Operation").select_option("provideOrderDigitalCodes")
    filters.get_by_label("HTTP status").fill("400")
    filters.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"operation=provideOrderDigitalCodes"))
    rows = page.get_by_test_id("query-log-row")
    assert rows.count() >= 1
    shown = rows.evaluate_all(
        "(rows) => rows.map((row) => [row.dataset.operation, row.dataset.status])"
    )
    assert set(map(tuple, shown)) == {("provideOrderDigitalCodes", "400")}

    filters = page.get_by_test_id("query-log-filter-form")
    filters.get_by_label("Operation").select_option("")
    filters.get_by_label("HTTP status").fill("")
    filters.get_by_label("Order id").fill(str(order_id))
    filters.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(rf"order={order_id}"))
    shown = page.get_by_test_id("query-log-row").evaluate_all(
        "(rows) => rows.map((row) => [row.dataset.operation, row.dataset.status])"
    )
    assert shown == [["provideOrderDigitalCodes", "400"], ["getOrder", "200"]]  # newest first

    page.get_by_test_id("query-log-row").first.get_by_role("link").first.click()
    assert page.get_by_test_id("entry-status").inner_text() == "400"
    assert "CCCC-3333" in page.get_by_test_id("request-body").inner_text()
    assert '"status":"ERROR"' in page.get_by_test_id("response-body").inner_text().replace(" ", "")
