"""What callers stored runs nothing in the cabinet: an offer name typed into the cabinet and a
slip sent through the Partner API, each carrying ``<script>`` and event-handler attributes, are
shown on every page that shows them (the order, its keys, the e-mail in the timeline and the
outbox, the query log's entry) without a dialog, a console line, a request or a flag set by the
payload, and without the Content-Security-Policy having to refuse anything: they never became
markup."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser import cabinet, partner_api
from tests.browser.harness import HOSTILE_MARKUP, NO_EFFECTS, PayloadWatch

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import CabinetServer

pytestmark = [pytest.mark.browser]

OFFER_NAME = "Game " + HOSTILE_MARKUP
SLIP = "<p>Redeem at example.com</p>" + HOSTILE_MARKUP
KEY = "KEY-0001"


@pytest.mark.decision(
    "What the cabinet shows from callers", "The cabinet's Content-Security-Policy"
)
def test_hostile_offer_name_and_slip_run_nothing(page: Page, cabinet_server: CabinetServer) -> None:
    server = cabinet_server
    watch = PayloadWatch()
    watch.attach(page)
    cabinet.sign_in(page, server.base_url, server.sandbox_token)
    order_id = cabinet.create_test_order(
        page,
        server.base_url,
        cabinet.TestOrderForm(server.demo_campaign_id, "game-xss", OFFER_NAME),
    )
    item_id = int(page.get_by_test_id("order-items").locator("tbody td").first.inner_text())
    partner_api.deliver_keys(
        server.base_url,
        server.demo_api_key,
        server.demo_campaign_id,
        order_id,
        item_id,
        [KEY],
        slip=SLIP,
    )
    cabinet.advance_clock(page, hours=1)  # the e-mail with the slip goes out
    assert page.get_by_test_id("offer-name").inner_text() == OFFER_NAME
    email = page.locator("[data-testid=timeline-event][data-kind=EMAIL]")
    assert email.count() == 1
    assert watch.effects(page) == NO_EFFECTS

    page.get_by_test_id("keys-link").click()
    assert page.get_by_test_id("slip-sent").text_content() == SLIP
    assert page.get_by_test_id("slip-rendered").inner_text() == "Redeem at example.com"
    assert watch.effects(page) == NO_EFFECTS

    page.goto(server.url(f"/cabinet/outbox?order={order_id}"))
    body = page.locator("[data-testid=outbox-message][data-kind=email]").get_by_test_id(
        "email-body"
    )
    assert KEY in body.inner_text()
    assert body.locator("script, img, svg, [onerror], [onload]").count() == 0
    assert watch.effects(page) == NO_EFFECTS

    page.goto(server.url(f"/cabinet/requests?order={order_id}&operation=provideOrderDigitalCodes"))
    page.get_by_test_id("query-log-row").first.get_by_role("link").first.click()
    assert "onerror" in page.get_by_test_id("request-body").inner_text()
    assert watch.effects(page) == NO_EFFECTS

    page.goto(server.url(f"/cabinet/orders?campaign={server.demo_campaign_id}"))
    assert watch.effects(page) == NO_EFFECTS
