"""The cabinet's reading pages: the orders list, an order's timeline, its keys a page at a time,
the query log and its entries, the outbox; what callers stored shown inert; bad parameters a 400
page naming the field; and an order's page within its weight."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.contract import limits
from dbskit.market.services.cabinet_queries import TIMELINE_CALLS_SHOWN
from tests.factories import SANDBOX, demo_of
from tests.http.cabinet_pages import post_form, sign_in

HOSTILE_NAME = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
HOSTILE_SLIP = (
    '<p onclick="window.pwned=3">Redeem it</p><script>window.pwned=4</script>'
    '<img src=x onerror=window.pwned=5><a href="javascript:window.pwned=6">link</a>'
)
PAGE_WEIGHT_MAX = 200 * 1024  # the figure: a page with its assets


async def place(client: httpx.AsyncClient, campaign_id: int, **body: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "items": [{"offerId": "sku-1", "count": 1, "price": 10}],
        "delivery": {"type": "DELIVERY"},
        **body,
    }
    response = await client.post(
        f"/sandbox/campaigns/{campaign_id}/orders", json=request, headers=SANDBOX
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()["order"]
    return order


def rows(page: str, testid: str, attribute: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}" {attribute}="([^"]*)"', page)


def next_link(page: str) -> str | None:
    found = re.search(r'href="([^"]+)" rel="next"', page)
    return None if found is None else html.unescape(found.group(1))


def problems(page: str) -> list[str]:
    block = re.search(r'data-testid="problems">(.*?)</ul>', page, re.S)
    assert block is not None, page
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def assert_inert(page: str) -> None:
    """No caller's markup became markup: the page's one script is its own file."""
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/cabinet/static/cabinet.js" defer>']
    assert "pwned" not in "".join(re.findall(r"<[^>]*>", page))  # in no tag or attribute
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", page)
    assert "javascript:" not in "".join(re.findall(r"<[^>]*>", page))


@pytest.mark.decision("The cabinet's pages and parameters")
async def test_orders_are_listed_with_a_sellers_filters_a_page_at_a_time(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    campaign_id, _key = demo_of(app)
    physical = [await place(client, campaign_id) for _ in range(3)]
    digital = await place(
        client,
        campaign_id,
        items=[{"offerId": "game-1", "count": 1, "price": 10}],
        delivery={"type": "DIGITAL"},
    )
    await sign_in(client)
    newest_first = [str(order["id"]) for order in [digital, *reversed(physical)]]

    first = await client.get("/cabinet/orders", params={"limit": "3"})
    assert first.status_code == 200
    shown = rows(first.text, "order-row", "data-order-id")
    following = next_link(first.text)
    assert following is not None and "limit=3" in following
    second = await client.get(following)
    assert shown + rows(second.text, "order-row", "data-order-id") == newest_first
    assert next_link(second.text) is None

    only_digital = await client.get("/cabinet/orders", params={"digital": "yes"})
    assert rows(only_digital.text, "order-row", "data-order-id") == [str(digital["id"])]
    assert 'value="yes" selected' in only_digital.text  # the filter is shown as chosen
    not_digital = await client.get(
        "/cabinet/orders",
        params={"digital": "no", "status": "PROCESSING", "campaign": str(campaign_id)},
    )
    assert len(rows(not_digital.text, "order-row", "data-order-id")) == 3
    none = await client.get("/cabinet/orders", params={"status": "DELIVERED"})
    assert rows(none.text, "order-row", "data-order-id") == []
    assert 'data-testid="no-orders"' in none.text


@pytest.mark.decision("The cabinet's pages and parameters")
async def test_a_bad_parameter_is_a_400_page_naming_it(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    cases = [
        ("/cabinet/orders?status=SHIPPED", "Field status"),
        ("/cabinet/orders?substatus=nope", "Field substatus"),
        ("/cabinet/orders?campaign=abc", "Field campaign"),
        ("/cabinet/orders?campaign=0", "Field campaign"),
        ("/cabinet/orders?campaign=99999999999999999999", "Field campaign"),
        ("/cabinet/orders?created_from=yesterday", "Field created_from"),
        ("/cabinet/orders?created_from=2030-02-02&created_to=2030-02-01", "Field created_to"),
        ("/cabinet/orders?fake=maybe", "Field fake"),
        ("/cabinet/orders?awaiting=1", "Field awaiting"),
        ("/cabinet/orders?limit=100000", "Field limit"),
        ("/cabinet/orders?cursor=not-a-cursor", "Field cursor"),
        ("/cabinet/orders?status=PROCESSING&status=DELIVERY", "Field status"),
        ("/cabinet/requests?operation=getEverything", "Field operation"),
        ("/cabinet/requests?status=2000", "Field status"),
        ("/cabinet/requests?since=noon", "Field since"),
        ("/cabinet/requests?since=2030-01-02T00:00&until=2030-01-01T00:00", "Field until"),
        ("/cabinet/requests?order=-1", "Field order"),
        ("/cabinet/requests?cursor=%00", "Field cursor"),
        ("/cabinet/requests/abc", "Field entry_id"),
        ("/cabinet/orders/abc", "Field order_id"),
        ("/cabinet/orders/1/keys?offset=-1", "Field offset"),
        ("/cabinet/outbox?order=x", "Field order"),
        ("/cabinet/outbox?limit=0", "Field limit"),
        ("/cabinet/outbox?cursor=not-a-cursor", "Field cursor"),
        ("/cabinet/campaigns/open?campaign=", "Field campaign"),
        ("/cabinet/campaigns/1e3", "Field campaign_id"),
    ]
    for path, named in cases:
        response = await client.get(path)
        assert response.status_code == 400, path
        assert any(message.startswith(named) for message in problems(response.text)), (
            path,
            problems(response.text),
        )
    for path in ("/cabinet/orders/1", "/cabinet/requests/1", "/cabinet/campaigns/1"):
        assert (await client.get(path)).status_code == 404, path


async def deliver_keys(
    client: httpx.AsyncClient,
    campaign_id: int,
    api_key: str,
    order: dict[str, Any],
    codes: list[str],
) -> httpx.Response:
    body = {
        "items": [
            {
                "id": order["items"][0]["id"],
                "codes": codes,
                "slip": HOSTILE_SLIP,
                "activate_till": "2099-12-31",
            }
        ]
    }
    return await client.post(
        f"/v2/campaigns/{campaign_id}/orders/{order['id']}/deliverDigitalGoods",
        content=json.dumps(body, separators=(",", ":")),
        headers={"Api-Key": api_key, "Content-Type": "application/json"},
    )


@pytest.mark.decision("What the cabinet shows from callers")
@pytest.mark.rule("R-005", "R-011", "R-105")
async def test_an_orders_whole_story_in_its_timeline_with_nothing_run(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    campaign_id, api_key = demo_of(app)
    order = await place(
        client,
        campaign_id,
        items=[{"offerId": "game-1", "offerName": HOSTILE_NAME, "count": 2, "price": 10}],
        delivery={"type": "DIGITAL"},
    )
    delivered = await deliver_keys(client, campaign_id, api_key, order, ["KEY-1", "<b>KEY-2</b>"])
    assert delivered.status_code == 200, delivered.text
    await sign_in(client)
    page = (await client.get(f"/cabinet/orders/{order['id']}")).text
    # Keys e-mailed and DELIVERED come when the clock passes the e-mail's moment.
    await post_form(
        client,
        "/cabinet/sandbox/clock",
        {"amount": "1", "unit": "hours", "back": f"/cabinet/orders/{order['id']}"},
        page=page,
    )
    response = await client.get(f"/cabinet/orders/{order['id']}")
    assert response.status_code == 200
    page = response.text
    kinds = re.findall(r'data-testid="timeline-event" data-kind="([A-Z_]+)"', page)
    assert kinds[0] == "PLACED"
    assert {"CALL", "KEYS", "EMAIL", "STATUS"} <= set(kinds)
    assert '<dd data-testid="order-status">DELIVERED / DELIVERY_SERVICE_DELIVERED</dd>' in page
    assert re.search(
        r'data-kind="STATUS" data-actor="MARKET">.*?DELIVERED/DELIVERY_SERVICE_DELIVERED',
        page,
        re.S,
    )
    assert "provideOrderDigitalCodes → 200" in page
    # The offer name is text wherever it shows; the e-mail keeps the slip's text, not its code.
    assert html.escape(HOSTILE_NAME, quote=False) in page.replace("&#34;", '"')
    email = re.search(r'data-testid="email-body">(.*?)</div>\s*(?:<details>|</div>)', page, re.S)
    assert email is not None
    assert "<p>Redeem it</p>" in email.group(1)
    assert "KEY-1" in email.group(1) and "&lt;b&gt;KEY-2&lt;/b&gt;" in email.group(1)
    assert_inert(page)
    keys_page = (await client.get(f"/cabinet/orders/{order['id']}/keys")).text
    assert "KEY-1" in keys_page and "&lt;b&gt;KEY-2&lt;/b&gt;" in keys_page
    assert_inert(keys_page)
    outbox = (await client.get("/cabinet/outbox", params={"order": str(order["id"])})).text
    assert outbox.count('data-testid="email-body"') == 1
    assert_inert(outbox)

    call = re.search(r'href="/cabinet/requests/(\d+)" data-testid="call-link"', page)
    assert call is not None
    entry = (await client.get(f"/cabinet/requests/{call.group(1)}")).text
    assert "provideOrderDigitalCodes" in entry
    assert api_key not in entry  # the log keeps credentials as ***
    assert_inert(entry)


@pytest.mark.decision("The cabinet's pages and parameters")
@pytest.mark.decision("Query log")
async def test_the_query_log_filtered_and_an_entry_whole(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    campaign_id, api_key = demo_of(app)
    order = await place(client, campaign_id)
    headers = {"Api-Key": api_key}
    orders = f"/v2/campaigns/{campaign_id}/orders"
    assert (await client.get(f"{orders}/{order['id']}", headers=headers)).status_code == 200
    assert (await client.get(f"{orders}/1", headers=headers)).status_code == 404
    assert (await client.get(orders, headers=headers)).status_code == 200
    await sign_in(client)

    every = await client.get("/cabinet/requests")
    assert len(rows(every.text, "query-log-row", "data-entry-id")) == 3
    by_order = await client.get("/cabinet/requests", params={"order": str(order["id"])})
    (entry_id,) = rows(by_order.text, "query-log-row", "data-entry-id")
    failed = await client.get("/cabinet/requests", params={"status": "404"})
    assert re.findall(r'data-operation="([^"]*)" data-status="(\d+)"', failed.text) == [
        ("getOrder", "404")
    ]
    listed = await client.get("/cabinet/requests", params={"operation": "getOrders"})
    assert len(rows(listed.text, "query-log-row", "data-entry-id")) == 1
    later = await client.get("/cabinet/requests", params={"since": "2999-01-01T00:00"})
    assert rows(later.text, "query-log-row", "data-entry-id") == []

    entry = await client.get(f"/cabinet/requests/{entry_id}")
    assert entry.status_code == 200
    body = re.search(r'data-testid="response-body">(.*?)</pre>', entry.text, re.S)
    assert body is not None
    assert json.loads(html.unescape(body.group(1)))["order"]["id"] == order["id"]
    assert "***" in entry.text and api_key not in entry.text


@pytest.mark.decision("Large parts of a page")
@pytest.mark.rule("R-005")
async def test_five_thousand_keys_are_paged_and_the_order_page_stays_light(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    campaign_id, api_key = demo_of(app)
    count = limits.DIGITAL_CODES_MAX
    order = await place(
        client,
        campaign_id,
        items=[{"offerId": "game-1", "offerName": "Game", "count": count, "price": 10}],
        delivery={"type": "DIGITAL"},
    )
    codes = [f"KEY-{n:05d}-{'x' * 6}" for n in range(count)]
    delivered = await deliver_keys(client, campaign_id, api_key, order, codes)
    assert delivered.status_code == 200, delivered.text
    sent = delivered.request.content
    assert len(sent) >= limits.QUERY_LOG_BODY_MAX_BYTES  # a body the log keeps at its limit
    # More Partner API calls on the order than the timeline lists.
    order_path = f"/v2/campaigns/{campaign_id}/orders/{order['id']}"
    for _ in range(TIMELINE_CALLS_SHOWN + 5):
        assert (await client.get(order_path, headers={"Api-Key": api_key})).status_code == 200
    await sign_in(client)
    path = f"/cabinet/orders/{order['id']}"
    page = (await client.get(path)).text
    await post_form(
        client, "/cabinet/sandbox/clock", {"amount": "1", "unit": "hours", "back": path}, page=page
    )

    page = (await client.get(path)).text
    weight = len(page.encode())
    for asset in ("cabinet.css", "cabinet.js"):
        weight += len((await client.get(f"/cabinet/static/{asset}")).content)

    assert weight < PAGE_WEIGHT_MAX, weight
    assert page.count('data-testid="call-link"') == TIMELINE_CALLS_SHOWN
    assert f"(the newest {TIMELINE_CALLS_SHOWN} below)" in page
    # The e-mail of 5,000 keys is one link away, whole.
    link = re.search(r'href="([^"]+)" data-testid="email-link"', page)
    assert link is not None
    email = (await client.get(link.group(1))).text
    assert all(f"<li>{code}</li>" in email for code in codes)

    # Keys a page at a time, every one of them, in the order sent.
    seen: list[str] = []
    following: str | None = f"{path}/keys"
    while following is not None:
        keys_page = (await client.get(following)).text
        seen.extend(re.findall(r'data-testid="key-row">.*?<code>([^<]*)</code>', keys_page))
        following = next_link(keys_page)
    assert seen == codes
    whole = (await client.get(f"{path}/keys", params={"limit": str(count)})).text
    assert whole.count('data-testid="key-row"') == count

    # The call's body, as the log kept it (its first 64 KB), on the entry's page.
    calls = await client.get(
        "/cabinet/requests",
        params={"order": str(order["id"]), "operation": "provideOrderDigitalCodes"},
    )
    (entry_id,) = rows(calls.text, "query-log-row", "data-entry-id")
    entry = (await client.get(f"/cabinet/requests/{entry_id}")).text
    kept = re.search(r'data-testid="request-body">(.*?)</pre>', entry, re.S)
    assert kept is not None
    assert html.unescape(kept.group(1)).encode() == sent[: limits.QUERY_LOG_BODY_MAX_BYTES]


# Values a person or a script may type into any field of a filter.
ODD_VALUES = (
    "",
    " ",
    "\x00",
    "%",
    "9" * 30,
    "-1",
    "0",
    "1.5",
    "1e9",
    "NaN",
    "\u0661",
    "2030-13-01",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59",
    "0001-01-01T00:00+05:00",
    "<script>x</script>",
    "x" * 5000,
)
FILTER_FIELDS = {
    "/cabinet/orders": (
        "campaign",
        "status",
        "substatus",
        "created_from",
        "created_to",
        "fake",
        "digital",
        "marked",
        "awaiting",
        "limit",
        "cursor",
    ),
    "/cabinet/requests": (
        "operation",
        "status",
        "campaign",
        "order",
        "since",
        "until",
        "limit",
        "cursor",
    ),
    "/cabinet/outbox": ("campaign", "order", "limit", "cursor"),
}


@pytest.mark.decision("The cabinet's pages and parameters")
async def test_no_value_of_any_filter_fails_a_page(client: httpx.AsyncClient) -> None:
    await sign_in(client)
    for path, fields in FILTER_FIELDS.items():
        for field in fields:
            for value in ODD_VALUES:
                response = await client.get(path, params={field: value})
                assert response.status_code in (200, 400), (path, field, value)
                if response.status_code == 400:
                    assert problems(response.text)[0].startswith(f"Field {field}"), (
                        path,
                        field,
                        value,
                        problems(response.text),
                    )
