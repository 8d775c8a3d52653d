"""The cabinet's forms: campaigns and keys, a campaign's settings, test orders, the clock, a
scenario, the fault rules, the reset, and an order moved as the Market or the buyer would. Each
form's effect is checked through the control plane or the Partner API, not the page."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import SANDBOX, demo_of, runtime_of
from tests.http.cabinet_pages import post_form, sign_in

SCENARIO = """\
entries:
  - name: shop
    campaign: {name: Scenario store}
"""


def problems(page: str) -> list[str]:
    """The messages of a problem page."""
    block = re.search(r'data-testid="problems">(.*?)</ul>', page, re.S)
    assert block is not None, page
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S)


async def settings_of(client: httpx.AsyncClient, campaign_id: int) -> dict[str, object]:
    response = await client.get(f"/sandbox/campaigns/{campaign_id}", headers=SANDBOX)
    assert response.status_code == 200
    settings: dict[str, object] = response.json()
    return settings


@pytest.mark.decision("The cabinet")
@pytest.mark.decision("Campaign settings")
async def test_a_campaign_made_and_set_up_in_the_cabinet(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    index = await client.get("/cabinet/campaigns")
    created = await post_form(
        client,
        "/cabinet/campaigns",
        {"name": "Cabinet store", "businessId": "", "pushUrl": "", "pushAuthMode": "HEADER"},
        page=index.text,
    )
    assert created.status_code == 303
    found = re.fullmatch(
        r"/cabinet/campaigns/(\d+)\?done=campaign-created", created.headers["location"]
    )
    assert found is not None
    campaign_id = int(found.group(1))
    page = await client.get(created.headers["location"])
    assert page.status_code == 200
    assert "Campaign created." in page.text
    assert '<span data-testid="campaign-name">Cabinet store</span>' in page.text

    saved = await post_form(
        client,
        f"/cabinet/campaigns/{campaign_id}/settings",
        {
            "name": "Renamed store",
            "pushUrl": "http://127.0.0.1:9/cart",
            "pushAuthMode": "URL",
            "pushAuthToken": "push-secret",
            "notificationUrl": "http://127.0.0.1:9/notify",
        },
        page=page.text,
    )
    assert saved.headers["location"] == f"/cabinet/campaigns/{campaign_id}?done=settings-saved"
    settings = await settings_of(client, campaign_id)
    assert settings == {
        **settings,
        "name": "Renamed store",
        "pushUrl": "http://127.0.0.1:9/cart",
        "pushAuthMode": "URL",
        "pushAuthToken": "push-secret",
        "notificationUrl": "http://127.0.0.1:9/notify",
    }
    page = await client.get(f"/cabinet/campaigns/{campaign_id}")
    assert "push-secret" not in page.text  # the store's token is changed, never shown
    # Empty URL fields clear the URLs; an empty token field keeps the token.
    await post_form(
        client,
        f"/cabinet/campaigns/{campaign_id}/settings",
        {"name": "Renamed store", "pushUrl": "", "pushAuthMode": "URL", "notificationUrl": ""},
        page=page.text,
    )
    settings = await settings_of(client, campaign_id)
    cleared = ("pushUrl", "notificationUrl", "pushAuthToken")
    assert tuple(settings.get(name) for name in cleared) == (
        None,
        None,
        "push-secret",
    )
    await post_form(
        client,
        f"/cabinet/campaigns/{campaign_id}/settings",
        {"name": "Renamed store", "clearPushAuthToken": "yes", "pushAuthMode": "URL"},
        page=page.text,
    )
    assert "pushAuthToken" not in await settings_of(client, campaign_id)

    closed = await post_form(
        client, f"/cabinet/campaigns/{campaign_id}/activity", {"active": "no"}, page=page.text
    )
    assert closed.status_code == 303
    assert (await settings_of(client, campaign_id))["active"] is False


@pytest.mark.decision("The cabinet")
@pytest.mark.decision("Campaigns and keys")
async def test_a_key_issued_in_the_cabinet_is_shown_once_and_revoked_there(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    campaign_id, _demo_key = demo_of(app)
    settings = await settings_of(client, campaign_id)
    await sign_in(client)
    index = await client.get("/cabinet/campaigns")
    issued = await post_form(
        client,
        "/cabinet/keys",
        {
            "businessId": str(settings["businessId"]),
            "type": "API_KEY",
            "scopes": ["inventory-and-order-processing", "finance-and-accounting"],
        },
        page=index.text,
    )
    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    found = re.search(r'data-testid="issued-key" readonly value="([^"]+)"', issued.text)
    assert found is not None
    key = found.group(1)
    orders = f"/v2/campaigns/{campaign_id}/orders"
    assert (await client.get(orders, headers={"Api-Key": key})).status_code == 200

    revoked = await post_form(
        client, "/cabinet/keys/revoke", {"type": "API_KEY", "key": key}, page=index.text
    )
    assert revoked.headers["location"] == "/cabinet/campaigns?done=key-revoked"
    assert (await client.get(orders, headers={"Api-Key": key})).status_code == 401
    again = await post_form(
        client, "/cabinet/keys/revoke", {"type": "API_KEY", "key": key}, page=index.text
    )
    assert again.status_code == 303  # revoking a revoked key changes nothing


@pytest.mark.decision("The cabinet's pages and parameters")
async def test_a_bad_field_is_a_400_page_naming_it_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    campaign_id, api_key = demo_of(app)
    runtime = runtime_of(app)
    await sign_in(client)
    page = (await client.get("/cabinet/sandbox")).text
    cases = [
        ("/cabinet/keys", {"businessId": "1", "type": "API_KEY"}, "scopes"),
        ("/cabinet/keys", {"businessId": "abc"}, "Field businessId"),
        (
            "/cabinet/sandbox/orders",
            {"campaign": str(campaign_id), "offerId": "sku-1", "price": "abc"},
            "Field price",
        ),
        (
            "/cabinet/sandbox/orders",
            {"campaign": str(campaign_id), "offerId": "sku-1", "price": "10", "count": "0"},
            "Field count",
        ),
        (
            "/cabinet/sandbox/orders",
            {"campaign": str(campaign_id), "offerId": "sku-1", "price": "-5"},
            "price",
        ),
        (
            "/cabinet/sandbox/orders",
            {"campaign": str(campaign_id), "offerId": "sku-1", "price": "1", "marking": "X"},
            "Field marking",
        ),
        ("/cabinet/sandbox/clock", {"amount": "-1", "unit": "hours"}, "Field amount"),
        ("/cabinet/sandbox/clock", {"amount": "1", "unit": "weeks"}, "Field unit"),
        ("/cabinet/sandbox/clock", {"amount": "nan", "unit": "hours"}, "Field amount"),
        ("/cabinet/sandbox/reset", {"campaign": "0"}, "Field campaign"),
        (
            "/cabinet/sandbox/faults",
            {"operationId": "nope", "fault": "X", "mode": "NEXT", "count": "1"},
            "operationId",
        ),
        ("/cabinet/sandbox/scenario", {"scenario": "entries: [", "format": "yaml"}, "YAML"),
        (f"/cabinet/campaigns/{campaign_id}/settings", {"pushUrl": "ftp://x"}, "pushUrl"),
    ]
    before = runtime.clock.offset
    for path, data, named in cases:
        refused = await post_form(client, path, data, page=page)
        assert refused.status_code == 400, (path, data)
        assert any(named in message for message in problems(refused.text)), (
            problems(refused.text),
            named,
        )
    assert runtime.clock.offset == before
    orders = await client.get(f"/v2/campaigns/{campaign_id}/orders", headers={"Api-Key": api_key})
    assert orders.json()["orders"] == []
    assert (await client.get("/sandbox/faults", headers=SANDBOX)).json() == {"rules": []}


@pytest.mark.decision("The cabinet")
@pytest.mark.decision("The sandbox clock")
@pytest.mark.decision("Fault injection")
@pytest.mark.decision("Resetting the sandbox")
@pytest.mark.decision("Scenario files")
async def test_the_sandbox_levers(app: FastAPI, client: httpx.AsyncClient) -> None:
    campaign_id, api_key = demo_of(app)
    runtime = runtime_of(app)
    await sign_in(client)
    page = (await client.get("/cabinet/sandbox")).text

    before = runtime.clock.offset
    advanced = await post_form(
        client, "/cabinet/sandbox/clock", {"amount": "1.5", "unit": "days"}, page=page
    )
    assert advanced.headers["location"] == "/cabinet/sandbox?done=clock-advanced"
    assert runtime.clock.offset - before == timedelta(days=1.5)

    made = await post_form(
        client,
        "/cabinet/sandbox/orders",
        {
            "campaign": str(campaign_id),
            "offerId": "sku-1",
            "offerName": "Kettle",
            "count": "2",
            "price": "99.90",
            "deliveryType": "DELIVERY",
            "status": "PROCESSING",
        },
        page=page,
    )
    found = re.fullmatch(r"/cabinet/orders/(\d+)\?done=order-created", made.headers["location"])
    assert found is not None
    order_id = int(found.group(1))
    got = await client.get(
        f"/v2/campaigns/{campaign_id}/orders/{order_id}", headers={"Api-Key": api_key}
    )
    order = got.json()["order"]
    assert (order["status"], order["fake"], order["items"][0]["offerName"]) == (
        "PROCESSING",
        True,
        "Kettle",
    )

    loaded = await post_form(
        client, "/cabinet/sandbox/scenario", {"scenario": SCENARIO, "format": "yaml"}, page=page
    )
    assert loaded.headers["location"] == "/cabinet/sandbox?done=scenario-loaded"

    added = await post_form(
        client,
        "/cabinet/sandbox/faults",
        {"operationId": "getOrder", "fault": "INTERNAL_ERROR", "mode": "NEXT", "count": "1"},
        page=page,
    )
    assert added.headers["location"] == "/cabinet/sandbox?done=fault-added"
    rules = (await client.get("/sandbox/faults", headers=SANDBOX)).json()["rules"]
    assert [(rule["operationId"], rule["fault"], rule["next"]) for rule in rules] == [
        ("getOrder", "INTERNAL_ERROR", 1)
    ]
    listed = await client.get("/cabinet/sandbox")
    assert listed.text.count('data-testid="fault-rule"') == 1
    deleted = await post_form(
        client, f"/cabinet/sandbox/faults/{rules[0]['id']}/delete", {}, page=page
    )
    assert deleted.status_code == 303
    assert (await client.get("/sandbox/faults", headers=SANDBOX)).json() == {"rules": []}
    missing = await post_form(
        client, f"/cabinet/sandbox/faults/{rules[0]['id']}/delete", {}, page=page
    )
    assert missing.status_code == 404

    reset = await post_form(client, "/cabinet/sandbox/reset", {"campaign": ""}, page=page)
    assert reset.headers["location"] == "/cabinet/sandbox?done=sandbox-reset"
    assert runtime.clock.offset == timedelta(0)  # a full reset takes the clock back
    gone = await client.get(
        f"/v2/campaigns/{campaign_id}/orders/{order_id}", headers={"Api-Key": api_key}
    )
    assert gone.status_code == 404


@pytest.mark.decision("The cabinet")
@pytest.mark.decision("Market-side triggers")
@pytest.mark.rule("R-102")
async def test_an_order_moved_as_the_market_and_as_the_buyer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    campaign_id, api_key = demo_of(app)
    await sign_in(client)
    page = (await client.get("/cabinet/sandbox")).text
    orders = []
    for _ in range(2):
        made = await post_form(
            client,
            "/cabinet/sandbox/orders",
            {"campaign": str(campaign_id), "offerId": "sku-1", "price": "10"},
            page=page,
        )
        orders.append(int(made.headers["location"].split("/")[3].split("?")[0]))
    first, second = orders
    order_page = (await client.get(f"/cabinet/orders/{first}")).text
    moved = await post_form(
        client,
        f"/cabinet/orders/{first}/move",
        {"campaign": str(campaign_id), "status": "CANCELLED", "substatus": "TECHNICAL_ERROR"},
        page=order_page,
    )
    assert moved.headers["location"] == f"/cabinet/orders/{first}?done=order-moved"
    cancelled = await post_form(
        client,
        f"/cabinet/orders/{second}/buyer-cancellation",
        {"campaign": str(campaign_id), "reason": "USER_CHANGED_MIND"},
        page=order_page,
    )
    assert cancelled.headers["location"] == f"/cabinet/orders/{second}?done=buyer-cancelled"
    for order_id, substatus in ((first, "TECHNICAL_ERROR"), (second, "USER_CHANGED_MIND")):
        got = await client.get(
            f"/v2/campaigns/{campaign_id}/orders/{order_id}", headers={"Api-Key": api_key}
        )
        assert (got.json()["order"]["status"], got.json()["order"]["substatus"]) == (
            "CANCELLED",
            substatus,
        )
    # A move the status model refuses is a 400 page with its message; an order of another
    # campaign is not found.
    refused = await post_form(
        client,
        f"/cabinet/orders/{first}/buyer-received",
        {"campaign": str(campaign_id)},
        page=order_page,
    )
    assert refused.status_code == 400
    assert str(first) in problems(refused.text)[0]
    elsewhere = await post_form(
        client,
        f"/cabinet/orders/{second}/move",
        {"campaign": str(campaign_id + 1), "status": "CANCELLED", "substatus": "TECHNICAL_ERROR"},
        page=order_page,
    )
    assert elsewhere.status_code == 404
    # The Market moves a delivery's dates.
    third = await post_form(
        client,
        "/cabinet/sandbox/orders",
        {"campaign": str(campaign_id), "offerId": "sku-1", "price": "10"},
        page=page,
    )
    third_id = int(third.headers["location"].split("/")[3].split("?")[0])
    changed = await post_form(
        client,
        f"/cabinet/orders/{third_id}/delivery-dates",
        {"campaign": str(campaign_id), "from_date": "2031-05-02", "to_date": "2031-05-04"},
        page=order_page,
    )
    assert changed.headers["location"] == f"/cabinet/orders/{third_id}?done=dates-changed"
    got = await client.get(
        f"/v2/campaigns/{campaign_id}/orders/{third_id}", headers={"Api-Key": api_key}
    )
    assert got.json()["order"]["delivery"]["dates"]["fromDate"] == "02-05-2031"
    assert got.json()["order"]["delivery"]["dates"]["toDate"] == "04-05-2031"
    backwards = await post_form(
        client,
        f"/cabinet/orders/{third_id}/delivery-dates",
        {"campaign": str(campaign_id), "from_date": "2031-05-04", "to_date": "2031-05-02"},
        page=order_page,
    )
    assert backwards.status_code == 400
    assert "toDate" in problems(backwards.text)[0]
    # The timeline says who made each change.
    timeline = (await client.get(f"/cabinet/orders/{second}")).text
    actors = re.findall(r'data-kind="(PLACED|STATUS)" data-actor="([A-Z]+)"', timeline)
    assert actors == [("PLACED", "SANDBOX"), ("STATUS", "BUYER")]


class _Forms(HTMLParser):
    """The fields, labels and forms of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()
        self.ids: list[str] = []
        self.forms: list[dict[str, str | None]] = []
        self._form_fields: list[list[dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "form":
            self.forms.append(found)
            self._form_fields.append([])
        elif tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        elif tag in ("input", "select", "textarea"):
            field = {"tag": tag, **found}
            self.fields.append(field)
            if self._form_fields:
                self._form_fields[-1].append(field)

    def form_fields(self, index: int) -> list[dict[str, str | None]]:
        return self._form_fields[index]


@pytest.mark.decision("CSRF in the cabinet")
@pytest.mark.decision("The cabinet")
async def test_every_field_has_a_label_and_every_posted_form_its_csrf_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    campaign_id, _key = demo_of(app)
    pages = [(await client.get("/cabinet/sign-in")).text]
    await sign_in(client)
    sandbox = (await client.get("/cabinet/sandbox")).text
    made = await post_form(
        client,
        "/cabinet/sandbox/orders",
        {"campaign": str(campaign_id), "offerId": "sku-1", "price": "10"},
        page=sandbox,
    )
    order_path = made.headers["location"].split("?")[0]
    for path in (
        "/cabinet/orders",
        order_path,
        f"{order_path}/keys",
        "/cabinet/requests",
        "/cabinet/outbox",
        "/cabinet/campaigns",
        f"/cabinet/campaigns/{campaign_id}",
        "/cabinet/sandbox",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        pages.append(response.text)
    for page in pages:
        parsed = _Forms()
        parsed.feed(page)
        assert len(parsed.ids) == len(set(parsed.ids)), "ids are unique on a page"
        for field in parsed.fields:
            if field.get("type") in ("hidden", "submit"):
                continue
            assert field.get("id") in parsed.labelled, field
        for index, form in enumerate(parsed.forms):
            if form.get("method") != "post":
                continue
            tokens = [f for f in parsed.form_fields(index) if f.get("name") == "csrf_token"]
            assert len(tokens) == 1 and tokens[0].get("type") == "hidden", form
            assert tokens[0].get("value"), form
