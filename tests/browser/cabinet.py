"""A person's steps in the cabinet, as a browser takes them: sign in, create a test order, move
the clock, filter the query log. The tests and scripts/cabinet_screenshot.py share them.

Fields are found by their labels and buttons by their names, as a person finds them, so a step
that works here also shows that the label is there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

CABINET = "/cabinet"
SIGN_IN_PATH = CABINET + "/sign-in"
SANDBOX_PATH = CABINET + "/sandbox"
ORDERS_PATH = CABINET + "/orders"
QUERY_LOG_PATH = CABINET + "/requests"
ORDER_PATH = re.compile(r"/cabinet/orders/(\d+)$")


def sign_in(page: Page, base_url: str, sandbox_token: str) -> None:
    """Open the cabinet, which asks for the sandbox token, and sign in with it."""
    page.goto(base_url + CABINET)
    page.get_by_label("Sandbox token").fill(sandbox_token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(base_url + ORDERS_PATH)))


@dataclass(frozen=True)
class TestOrderForm:
    """What the sandbox page's "New test order" form is filled with."""

    __test__ = False  # a form's values, not a test class

    campaign_id: int
    offer_id: str
    offer_name: str = ""
    count: int = 1
    price: str = "100"
    delivery: str = "DIGITAL"


def new_test_order_form(page: Page) -> Locator:
    return page.get_by_test_id("create-order-form")


def create_test_order(page: Page, base_url: str, values: TestOrderForm) -> int:
    """Fill and send the sandbox page's "New test order" form; the new order's id, from the
    order page the cabinet opens."""
    page.goto(base_url + SANDBOX_PATH)
    form = new_test_order_form(page)
    form.get_by_label("Campaign id").fill(str(values.campaign_id))
    form.get_by_label("Offer id").fill(values.offer_id)
    form.get_by_label("Offer name").fill(values.offer_name)
    form.get_by_label("Count").fill(str(values.count))
    form.get_by_label("Price").fill(values.price)
    form.get_by_label("Delivery", exact=True).select_option(values.delivery)
    form.get_by_role("button", name="Create").click()
    return opened_order_id(page)


def opened_order_id(page: Page) -> int:
    """The id of the order whose page the browser has (waiting until it has one)."""
    page.wait_for_url(lambda url: ORDER_PATH.search(urlsplit(url).path) is not None)
    found = ORDER_PATH.search(urlsplit(page.url).path)
    assert found is not None
    return int(found.group(1))


def advance_clock(page: Page, *, hours: int) -> None:
    """Send the page's "Advance the clock" form; the cabinet comes back to the same page."""
    form = page.get_by_test_id("clock-form")
    form.get_by_label("Amount").fill(str(hours))
    form.get_by_label("Unit").select_option("hours")
    form.get_by_role("button", name="Advance").click()
    page.wait_for_url(re.compile(r"[?&]done=clock-advanced"))


def timeline_kinds(page: Page) -> list[str]:
    """The kinds of the order page's timeline events, in the timeline's order."""
    kinds: list[str] = page.get_by_test_id("timeline-event").evaluate_all(
        "(events) => events.map((event) => event.dataset.kind)"
    )
    return kinds
