"""Checkout through the store: the Market's POST /cart to the campaign's store, the query log
entry, the test order made from the answer, and the failures of OQ-16.

The Market calls a real store: the demo store mounted at /store in the same app, reached over
an ASGI transport (or, for the broken ones, through ``tests.http.shop.broken_store``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from dbskit.market.runtime import Runtime
from dbskit.market.services.outbound import OutboundHttp
from tests.conftest import envelope
from tests.http.shop.broken_store import Breakage, BrokenStore, Exchange
from tests.http.shop.conftest import PUSH_TOKEN
from tests.notification_listener import closed_port_url
from tests.orders_support import FROZEN_AT, freeze_clock, moscow
from tests.spec_schemas import assert_matches_schema

DEMO_FEED = 200100
STORE_URL = "http://127.0.0.1:8484/store"  # the demo campaign's push URL (default host and port)
STORE_CART = f"{STORE_URL}/cart"
GAME_KEY = {"feedId": DEMO_FEED, "offerId": "game-key-north", "count": 2, "price": 1999}
KETTLE = {"feedId": DEMO_FEED, "offerId": "kettle-aqua-17", "count": 5, "price": 2490}
PHONE = {"feedId": DEMO_FEED, "offerId": "phone-nova-x1", "count": 1, "price": 24990}
EREADER = {"feedId": DEMO_FEED, "offerId": "ereader-page-6", "count": 1, "price": 11990}
RETIRED = {"feedId": DEMO_FEED, "offerId": "radio-retro", "count": 1, "price": 3490}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"store_token": PUSH_TOKEN}


class StoreRouter:
    """The app, with some paths answered by broken versions of its store: ``/<name>/cart`` is
    the store's ``/store/cart`` bent by the breakage registered under ``name``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.broken: dict[str, ASGIApp] = {}

    def add(self, name: str, breakage: Breakage) -> str:
        self.broken[f"/{name}/"] = BrokenStore(self.app, breakage)
        return f"http://127.0.0.1:8484/{name}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        for prefix, store in self.broken.items():
            if path.startswith(prefix):
                scope = dict(scope, path="/store/" + path[len(prefix) :])
                await store(scope, receive, send)
                return
        await self.app(scope, receive, send)


@pytest.fixture
async def stores(app: FastAPI) -> AsyncIterator[StoreRouter]:
    """The Market's calls to stores go to this process's app (the store mounted at /store)."""
    runtime: Runtime = app.state.runtime
    router = StoreRouter(app)
    real = runtime.http
    runtime.http = OutboundHttp(httpx.ASGITransport(app=router))
    yield router
    await runtime.http.aclose()
    runtime.http = real


@dataclass
class Market:
    """The sandbox as a test drives it: checkouts, campaigns and the query log."""

    client: httpx.AsyncClient
    headers: dict[str, str]
    demo_campaign: int
    demo_key: str

    async def check_out(self, campaign_id: int, **basket: Any) -> httpx.Response:
        return await self.client.post(
            f"/sandbox/campaigns/{campaign_id}/checkout", json=basket, headers=self.headers
        )

    async def campaign(self, **fields: Any) -> int:
        response = await self.client.post("/sandbox/campaigns", json=fields, headers=self.headers)
        assert response.status_code == 201, response.text
        campaign_id: int = response.json()["campaignId"]
        return campaign_id

    async def logged(self, campaign_id: int, limit: int = 50) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/sandbox/requests",
            params={"campaignId": campaign_id, "limit": limit},
            headers=self.headers,
        )
        assert response.status_code == 200
        entries: list[dict[str, Any]] = response.json()["requests"]
        return entries

    async def last_logged(self, campaign_id: int) -> dict[str, Any]:
        return (await self.logged(campaign_id, limit=1))[0]


@pytest.fixture
def market(
    app: FastAPI,
    client: httpx.AsyncClient,
    sandbox_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Market:
    """The sandbox with its clock frozen on Saturday 2 March 2030, 09:00 in Moscow."""
    freeze_clock(app, monkeypatch)
    runtime: Runtime = app.state.runtime
    assert runtime.demo is not None and runtime.demo.api_key is not None
    return Market(client, sandbox_headers, runtime.demo.campaign_id, runtime.demo.api_key)


def option_of(cart: dict[str, Any], option_type: str) -> dict[str, Any]:
    return next(option for option in cart["deliveryOptions"] if option["type"] == option_type)


def ordered_item(order_item: dict[str, Any], line: dict[str, Any], count: int) -> dict[str, Any]:
    price = float(line["price"])
    return {
        "id": order_item["id"],
        "offerId": line["offerId"],
        "offerName": line["offerId"],
        "price": price,
        "buyerPrice": price,
        "buyerPriceBeforeDiscount": price,
        "count": count,
        "vat": "NO_VAT",
    }


# --- Baskets the store can sell -----------------------------------------------------------------


@pytest.mark.rule("R-040", "R-107", "OQ-16", "OQ-21")
async def test_a_digital_basket_becomes_a_digital_test_order(
    market: Market,
    stores: StoreRouter,
) -> None:
    response = await market.check_out(market.demo_campaign, items=[GAME_KEY], regionId=213)
    assert response.status_code == 201, response.text
    body = response.json()
    order = body["order"]
    assert body == {
        "order": {
            "id": order["id"],
            "status": "PROCESSING",
            "substatus": "STARTED",
            "creationDate": moscow(FROZEN_AT),
            "updatedAt": moscow(FROZEN_AT),
            "currency": "RUR",
            "itemsTotal": 3998.0,
            "deliveryTotal": 0.0,
            "buyerItemsTotalBeforeDiscount": 3998.0,
            "paymentType": "PREPAID",
            "paymentMethod": "YANDEX",
            "fake": True,
            "items": [ordered_item(order["items"][0], GAME_KEY, 2)],
            "delivery": {
                "type": "DIGITAL",
                "serviceName": "Digital delivery",
                "deliveryPartnerType": "SHOP",
                "dates": {"fromDate": "02-03-2030", "toDate": "02-03-2030"},
                "region": {"id": 213, "name": "Москва", "type": "CITY"},
                "deliveryServiceId": 99,
                "dispatchType": "BUYER",
                "estimated": False,
            },
            "buyer": {"type": "PERSON"},
            "taxSystem": "OSN",
            "cancelRequested": False,
        },
        "cart": {
            "deliveryCurrency": "RUR",
            "items": [
                {
                    "feedId": DEMO_FEED,
                    "offerId": "game-key-north",
                    "count": 2,
                    "delivery": True,
                    "sellerInn": "7712345671",
                }
            ],
            "deliveryOptions": [
                {
                    "id": "digital",
                    "price": 0.0,
                    "serviceName": "Digital delivery",
                    "type": "DIGITAL",
                    "dates": {"fromDate": "02-03-2030"},
                    "paymentMethods": ["YANDEX"],
                }
            ],
            "paymentMethods": ["YANDEX"],
        },
        "warnings": [],
    }
    assert_matches_schema({"order": order}, "GetOrderResponse")
    fetched = await market.client.get(
        f"/v2/campaigns/{market.demo_campaign}/orders/{order['id']}",
        headers={"Api-Key": market.demo_key},
    )
    assert fetched.status_code == 200
    assert fetched.json() == {"order": order}


@pytest.mark.rule("R-037", "R-039", "R-041", "R-042", "R-043", "R-044", "R-111")
async def test_the_call_to_the_store_is_in_the_query_log_as_the_market_sent_it(
    market: Market,
    stores: StoreRouter,
) -> None:
    response = await market.check_out(
        market.demo_campaign,
        items=[dict(GAME_KEY, offerName="Ключ «Северный путь»")],
        regionId=120542,
        buyer={"type": "BUSINESS"},
    )
    assert response.status_code == 201, response.text
    entry = await market.last_logged(market.demo_campaign)
    sent = {
        "cart": {
            "businessId": entry["businessId"],
            "currency": "RUR",
            "deliveryCurrency": "RUR",
            "buyer": {"type": "BUSINESS"},
            "delivery": {
                "region": {
                    "id": 120542,
                    "name": "Тверской район",
                    "type": "SECONDARY_DISTRICT",
                    "parent": {
                        "id": 20279,
                        "name": "Центральный административный округ",
                        "type": "CITY_DISTRICT",
                        "parent": {
                            "id": 213,
                            "name": "Москва",
                            "type": "CITY",
                            "parent": {
                                "id": 1,
                                "name": "Москва и Московская область",
                                "type": "SUBJECT_FEDERATION",
                                "parent": {
                                    "id": 3,
                                    "name": "Центральный федеральный округ",
                                    "type": "COUNTRY_DISTRICT",
                                    "parent": {"id": 225, "name": "Россия", "type": "COUNTRY"},
                                },
                            },
                        },
                    },
                }
            },
            "items": [
                {
                    "feedId": DEMO_FEED,
                    "offerId": "game-key-north",
                    "offerName": "Ключ «Северный путь»",
                    "price": 1999.0,
                    "count": 2,
                }
            ],
        }
    }
    answer = response.json()["cart"]
    assert entry["time"].startswith("2030-03-02T06:00:00")
    assert {key: entry[key] for key in ("method", "path", "query", "status", "operationId")} == {
        "method": "POST",
        "path": STORE_CART,
        "query": "",
        "status": 200,
        "operationId": "push.cart",
    }
    assert entry["campaignId"] == market.demo_campaign
    assert entry["request"]["headers"] == {
        "content-type": "application/json",
        "accept": "application/json",
        "authorization": "***",
    }
    assert json.loads(entry["request"]["body"]) == sent
    assert json.loads(entry["response"]["body"]) == {"cart": answer}
    assert entry["response"]["headers"]["content-type"] == "application/json"
    # The store answers the logged request the same way when asked directly.
    direct = await market.client.post(
        "/store/cart", json=sent, headers={"Authorization": PUSH_TOKEN}
    )
    assert direct.json() == {"cart": answer}
    assert response.json()["order"]["buyer"] == {"type": "BUSINESS"}
    assert response.json()["order"]["items"][0]["offerName"] == "Ключ «Северный путь»"


@pytest.mark.rule("R-047", "R-050", "R-060", "R-063", "OQ-17")
async def test_the_order_takes_counts_option_dates_and_payment_from_the_answer(
    market: Market,
    stores: StoreRouter,
) -> None:
    # Three kettles are left of five asked for; the e-reader is out of stock (count 0).
    response = await market.check_out(
        market.demo_campaign,
        items=[KETTLE, EREADER],
        regionId=213,
        deliveryType="PICKUP",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    cart, order = body["cart"], body["order"]
    assert [(line["offerId"], line["count"]) for line in cart["items"]] == [
        ("kettle-aqua-17", 3),
        ("ereader-page-6", 0),
    ]
    pickup = option_of(cart, "PICKUP")
    assert order["items"] == [ordered_item(order["items"][0], KETTLE, 3)]
    assert order["itemsTotal"] == 3 * 2490.0
    assert order["delivery"] == {
        "type": "PICKUP",
        "serviceName": pickup["serviceName"],
        "deliveryPartnerType": "SHOP",
        "dates": pickup["dates"],
        "region": {"id": 213, "name": "Москва", "type": "CITY"},
        "deliveryServiceId": 99,
        "dispatchType": "SHOP_OUTLET",
        "shipments": [{"shipmentDate": pickup["dates"]["fromDate"]}],
        "estimated": False,
    }
    assert order["deliveryTotal"] == pickup["price"]
    assert (order["paymentType"], order["paymentMethod"]) == ("PREPAID", "YANDEX")
    assert_matches_schema({"order": order}, "GetOrderResponse")


@pytest.mark.rule("R-059", "R-065", "OQ-20")
async def test_without_a_type_the_first_option_is_taken_with_its_first_payment_method(
    market: Market,
    stores: StoreRouter,
) -> None:
    cash_first = stores.add(
        "cash-first", lambda exchange: _payment_methods(exchange, ["CASH_ON_DELIVERY", "YANDEX"])
    )
    campaign = await market.campaign(pushUrl=cash_first, pushAuthToken=PUSH_TOKEN)
    response = await market.check_out(campaign, items=[PHONE], regionId=213)
    assert response.status_code == 201, response.text
    body = response.json()
    courier = body["cart"]["deliveryOptions"][0]
    assert courier["type"] == "DELIVERY"
    first_interval = courier["dates"]["intervals"][0]["date"]
    delivery = body["order"]["delivery"]
    assert (delivery["type"], delivery["serviceName"]) == ("DELIVERY", courier["serviceName"])
    assert delivery["dates"] == {"fromDate": first_interval, "toDate": first_interval}
    assert body["order"]["deliveryTotal"] == courier["price"]
    payment = (body["order"]["paymentType"], body["order"]["paymentMethod"])
    assert payment == ("POSTPAID", "CASH_ON_DELIVERY")


def _payment_methods(exchange: Exchange, methods: list[str]) -> None:
    answer = exchange.answer
    for option in answer["cart"]["deliveryOptions"]:
        option["paymentMethods"] = methods
    answer["cart"]["paymentMethods"] = methods
    exchange.answer = answer


@pytest.mark.rule("R-045", "R-065", "OQ-20")
async def test_shop_prepaid_makes_a_prepaid_order(
    market: Market,
    stores: StoreRouter,
) -> None:
    url = stores.add("prepaid", lambda exchange: _payment_methods(exchange, ["SHOP_PREPAID"]))
    campaign = await market.campaign(pushUrl=url, pushAuthToken=PUSH_TOKEN)
    response = await market.check_out(campaign, items=[GAME_KEY], regionId=2)
    assert response.status_code == 201, response.text
    order = response.json()["order"]
    assert (order["paymentType"], order["paymentMethod"]) == ("PREPAID", "UNKNOWN")


@pytest.mark.rule("R-039")
async def test_the_push_token_travels_in_the_url_when_the_campaign_says_so(
    market: Market,
    stores: StoreRouter,
) -> None:
    campaign = await market.campaign(
        pushUrl=STORE_URL, pushAuthToken=PUSH_TOKEN, pushAuthMode="URL"
    )
    response = await market.check_out(campaign, items=[GAME_KEY], regionId=213)
    # The store takes the token from the header only (its mode is HEADER): it refuses the call.
    assert response.status_code == 502
    entry = await market.last_logged(campaign)
    assert (entry["path"], entry["query"], entry["status"]) == (STORE_CART, "auth-token=***", 403)
    assert "authorization" not in entry["request"]["headers"]


@pytest.mark.rule("C-16", "OQ-17", "OQ-20")
async def test_what_the_market_tolerates_comes_back_as_warnings(
    market: Market,
    stores: StoreRouter,
) -> None:
    def seconds_and_a_missing_line(exchange: Exchange) -> None:
        answer = exchange.answer
        answer["cart"]["items"] = answer["cart"]["items"][:1]
        for interval in answer["cart"]["deliveryOptions"][0]["dates"]["intervals"]:
            interval["fromTime"] += ":00"
        exchange.answer = answer

    url = stores.add("lenient", seconds_and_a_missing_line)
    campaign = await market.campaign(pushUrl=url, pushAuthToken=PUSH_TOKEN)
    response = await market.check_out(campaign, items=[PHONE, KETTLE], regionId=213)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["order"]["items"] == [ordered_item(body["order"]["items"][0], PHONE, 1)]
    intervals = body["cart"]["deliveryOptions"][0]["dates"]["intervals"]
    assert body["warnings"] == [
        {
            "rule": "R-046",
            "path": "cart.items",
            "message": "requested line feedId=200100 offerId='kettle-aqua-17' is missing (count 0)",
        },
        *(
            {
                "rule": "R-062",
                "path": f"cart.deliveryOptions[0].dates.intervals[{index}].fromTime",
                "message": f"{interval['fromTime']!r} has seconds; send HH:MM",
            }
            for index, interval in enumerate(intervals)
        ),
    ]


# --- Baskets the store cannot sell (400 BASKET_UNAVAILABLE) -------------------------------------


@pytest.mark.rule("R-049", "R-050", "OQ-16")
@pytest.mark.parametrize(
    ("basket", "message"),
    [
        pytest.param(
            {"items": [EREADER, RETIRED], "regionId": 213},
            "The store answered count 0 for every line (R-050): nothing in the basket can be "
            "ordered",
            id="nothing-on-sale",
        ),
        pytest.param(
            {"items": [PHONE], "regionId": 157},
            "The store offers no delivery option for region 157 (R-049)",
            id="region-not-served",
        ),
        pytest.param(
            {"items": [PHONE], "regionId": 43, "deliveryType": "PICKUP"},
            "The store offers no PICKUP option for region 43; it offers DELIVERY, POST",
            id="type-not-offered",
        ),
        pytest.param(
            {
                "items": [{**GAME_KEY, "count": 1}, PHONE],
                "regionId": 213,
                "deliveryType": "DIGITAL",
            },
            "The store offers no DIGITAL option for region 213; it offers DELIVERY, PICKUP, POST",
            id="mixed-basket-ships-physically",
        ),
    ],
)
async def test_a_basket_the_store_cannot_sell_places_no_order(
    market: Market,
    stores: StoreRouter,
    basket: dict[str, Any],
    message: str,
) -> None:
    response = await market.check_out(market.demo_campaign, **basket)
    assert response.status_code == 400
    assert response.json() == envelope(("BASKET_UNAVAILABLE", message))
    listed = await market.client.get(
        f"/v2/campaigns/{market.demo_campaign}/orders",
        params={"fake": "true"},
        headers={"Api-Key": market.demo_key},
    )
    assert listed.status_code == 200
    assert listed.json()["orders"] == []


@pytest.mark.rule("R-048", "OQ-16")
async def test_lines_that_cannot_travel_by_the_option_are_left_out(
    market: Market,
    stores: StoreRouter,
) -> None:
    # The sofa travels only within Moscow and its region (the demo's restriction): in
    # St Petersburg the store answers delivery: false for it.
    sofa = {"feedId": DEMO_FEED, "offerId": "sofa-oslo-3", "count": 1, "price": 45990}
    response = await market.check_out(market.demo_campaign, items=[sofa, PHONE], regionId=2)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["cart"]["items"][0]["delivery"] is False
    assert [item["offerId"] for item in body["order"]["items"]] == ["phone-nova-x1"]
    only_sofa = await market.check_out(market.demo_campaign, items=[sofa], regionId=2)
    assert only_sofa.status_code == 400
    assert only_sofa.json() == envelope(
        ("BASKET_UNAVAILABLE", "The store offers no delivery option for region 2 (R-049)")
    )


# --- Stores that break the contract (OQ-16: 502/504, no order) ----------------------------------


@pytest.mark.rule("R-039", "OQ-16", "OQ-18")
async def test_a_wrong_push_token_fails_with_the_stores_403(
    market: Market,
    stores: StoreRouter,
) -> None:
    campaign = await market.campaign(pushUrl=STORE_URL, pushAuthToken="not-the-store-token")
    response = await market.check_out(campaign, items=[GAME_KEY], regionId=213)
    assert response.status_code == 502
    assert response.json() == envelope(
        (
            "HTTP",
            f"CANT_GET_RESPONSE / HTTP: POST {STORE_CART}: the store answered 403 instead of "
            "200: FORBIDDEN: Authorization header is missing or does not carry the push token",
        )
    )
    entry = await market.last_logged(campaign)
    assert (entry["status"], entry["operationId"]) == (403, "push.cart")
    assert json.loads(entry["response"]["body"])["error"]["code"] == "FORBIDDEN"


@pytest.mark.rule("R-037", "OQ-16")
@pytest.mark.parametrize(
    "settings_overrides", [{"store_token": PUSH_TOKEN, "cart_deadline_seconds": 0.3}]
)
async def test_a_store_past_the_deadline_fails_with_504(
    market: Market,
    stores: StoreRouter,
) -> None:
    def slow(exchange: Exchange) -> None:
        exchange.delay = 2.0

    url = stores.add("slow", slow)
    campaign = await market.campaign(pushUrl=url, pushAuthToken=PUSH_TOKEN)
    response = await market.check_out(campaign, items=[GAME_KEY], regionId=213)
    assert response.status_code == 504
    message = f"CANT_GET_RESPONSE / READ_TIMED_OUT: POST {url}/cart: No answer within 0.3 s"
    assert response.json() == envelope(("READ_TIMED_OUT", message))
    entry = await market.last_logged(campaign)
    assert (entry["status"], entry["response"]["body"], entry["response"]["headers"]) == (
        0,
        message,
        {},
    )


@pytest.mark.rule("R-059", "R-060", "R-062", "OQ-16", "OQ-17")
async def test_an_answer_that_breaks_the_rules_fails_with_each_finding(
    market: Market,
    stores: StoreRouter,
) -> None:
    def broken(exchange: Exchange) -> None:
        answer = exchange.answer
        courier, pickup = answer["cart"]["deliveryOptions"][:2]
        courier["dates"]["intervals"][0]["fromTime"] = "10:30"
        pickup["dates"]["intervals"] = courier["dates"]["intervals"][:1]
        exchange.answer = answer

    url = stores.add("broken", broken)
    campaign = await market.campaign(pushUrl=url, pushAuthToken=PUSH_TOKEN)
    response = await market.check_out(campaign, items=[PHONE], regionId=213)
    assert response.status_code == 502
    prefix = f"INVALID_RESPONSE / INVALID_DATA: POST {url}/cart: "
    assert response.json() == envelope(
        (
            "INVALID_DATA",
            prefix + "R-060 cart.deliveryOptions[1].dates.intervals: must not be sent for PICKUP",
        ),
        (
            "INVALID_DATA",
            prefix + "R-062 cart.deliveryOptions[0].dates.intervals[0].fromTime: "
            "'10:30' is not HH:MM on the hour (or 23:59)",
        ),
        (
            "INVALID_DATA",
            prefix + "R-062 cart.deliveryOptions[1].dates.intervals[0].fromTime: "
            "'10:30' is not HH:MM on the hour (or 23:59)",
        ),
    )
    # No order was announced for the campaign (every order is, OQ-25).
    outbox = await market.client.get(
        "/sandbox/outbox", params={"campaignId": campaign}, headers=market.headers
    )
    assert outbox.json() == {"messages": []}


@pytest.mark.rule("R-069", "OQ-16")
@pytest.mark.parametrize(
    ("name", "reply", "code", "detail"),
    [
        pytest.param(
            "html",
            (200, "text/html", b"<html>ok</html>"),
            "UNSUPPORTED_MEDIA_TYPE",
            "CANT_GET_RESPONSE / UNSUPPORTED_MEDIA_TYPE: POST {url}: the answer's Content-Type "
            "is text/html, not application/json",
            id="content-type",
        ),
        pytest.param(
            "garbled",
            (200, "application/json", b'{"cart": '),
            "CANT_PARSE_RESPONSE",
            "INVALID_RESPONSE / CANT_PARSE_RESPONSE: POST {url}: the answer is not a JSON "
            "document in UTF-8",
            id="not-json",
        ),
        pytest.param(
            "failing",
            (500, "application/json", b'{"error": {"code": "INTERNAL", "message": "db down"}}'),
            "HTTP",
            "CANT_GET_RESPONSE / HTTP: POST {url}: the store answered 500 instead of 200: "
            "INTERNAL: db down",
            id="status-500",
        ),
        pytest.param(
            "bare",
            (200, "application/json", b'{"cart": {"items": []}}'),
            "INVALID_DATA",
            "INVALID_RESPONSE / INVALID_DATA: POST {url}: R-045 cart.deliveryOptions: missing "
            "or not an array",
            id="envelope",
        ),
    ],
)
async def test_an_answer_the_market_cannot_read_fails_with_its_class(
    market: Market,
    stores: StoreRouter,
    name: str,
    reply: tuple[int, str, bytes],
    code: str,
    detail: str,
) -> None:
    def answer(exchange: Exchange) -> None:
        exchange.status, exchange.content_type, exchange.body = reply

    base = stores.add(name, answer)
    campaign = await market.campaign(pushUrl=base, pushAuthToken=PUSH_TOKEN)
    response = await market.check_out(campaign, items=[PHONE], regionId=213)
    assert response.status_code == 502
    errors = response.json()["errors"]
    assert errors[0] == {"code": code, "message": detail.format(url=f"{base}/cart")}
    entry = await market.last_logged(campaign)
    assert (entry["status"], entry["response"]["body"]) == (reply[0], reply[2].decode())


@pytest.mark.rule("R-037", "OQ-16")
async def test_an_unreachable_store_fails_with_connection_refused(
    market: Market,
) -> None:
    url = closed_port_url()
    campaign = await market.campaign(pushUrl=url, pushAuthToken=PUSH_TOKEN)
    response = await market.check_out(campaign, items=[PHONE], regionId=213)
    assert response.status_code == 502
    [error] = response.json()["errors"]
    assert error["code"] == "CONNECTION_REFUSED"
    assert error["message"].startswith(f"CANT_GET_RESPONSE / CONNECTION_REFUSED: POST {url}/cart: ")
    entry = await market.last_logged(campaign)
    assert (entry["status"], entry["response"]["body"]) == (0, error["message"])


@pytest.mark.rule("R-037", "R-113", "OQ-16")
async def test_plain_http_off_loopback_is_refused_without_a_call(
    market: Market,
) -> None:
    campaign = await market.campaign(pushUrl="http://shop.example/market", pushAuthToken=PUSH_TOKEN)
    response = await market.check_out(campaign, items=[PHONE], regionId=213)
    assert response.status_code == 502
    assert response.json() == envelope(
        (
            "SSL_ERROR",
            "CANT_GET_RESPONSE / SSL_ERROR: POST http://shop.example/market/cart: Plain http is "
            "accepted for loopback hosts only; the Market calls stores over HTTPS (R-113)",
        )
    )
    assert await market.logged(campaign) == []


# --- Requests the sandbox refuses before calling --------------------------------------------------


@pytest.mark.rule("R-079")
async def test_an_inactive_store_gets_no_checkout(market: Market, stores: StoreRouter) -> None:
    campaign = market.demo_campaign
    switched = await market.client.post(
        f"/sandbox/campaigns/{campaign}/activity", json={"active": False}, headers=market.headers
    )
    assert switched.status_code == 200
    refused = await market.check_out(campaign, items=[PHONE], regionId=213)
    assert (refused.status_code, refused.json()) == (
        403,
        envelope(
            ("FORBIDDEN", f"Access denied for campaign '{campaign}' because it is not active")
        ),
    )
    assert await market.logged(campaign) == []  # the store was not called

    await market.client.post(
        f"/sandbox/campaigns/{campaign}/activity", json={"active": True}, headers=market.headers
    )
    accepted = await market.check_out(campaign, items=[PHONE], regionId=213)
    assert accepted.status_code == 201, accepted.text
    assert await market.logged(campaign) != []  # switched on again, the store is called


@pytest.mark.rule("R-081", "OQ-13")
async def test_bad_checkout_requests_are_refused_before_the_store_is_called(
    market: Market,
    stores: StoreRouter,
) -> None:
    unknown = await market.check_out(999, items=[PHONE], regionId=213)
    assert (unknown.status_code, unknown.json()) == (
        404,
        envelope(("NOT_FOUND", "Campaign not found: '999'")),
    )
    no_push = await market.campaign()
    refused = await market.check_out(no_push, items=[PHONE], regionId=213)
    assert (refused.status_code, refused.json()) == (
        400,
        envelope(
            (
                "BAD_REQUEST",
                f"Campaign {no_push} has no pushUrl: the Market has no store to send POST /cart to",
            )
        ),
    )
    region = await market.check_out(market.demo_campaign, items=[PHONE], regionId=7)
    assert region.status_code == 400
    assert region.json()["errors"][0]["message"].startswith(
        "Value of field regionId (7) must be one of 1, 2, 3, 17, 22, 40, 43,"
    )
    no_feed = await market.check_out(
        market.demo_campaign,
        items=[{"offerId": "phone-nova-x9", "count": 1, "price": 1}],
        regionId=213,
    )
    assert (no_feed.status_code, no_feed.json()) == (
        400,
        envelope(
            (
                "BAD_REQUEST",
                "Missing field items[0].feedId: offer 'phone-nova-x9' is not in the catalogue "
                "of the store this server runs",
            )
        ),
    )
    unknown_type = await market.check_out(
        market.demo_campaign, items=[PHONE], regionId=213, deliveryType="UNKNOWN"
    )
    assert unknown_type.json() == envelope(
        (
            "BAD_REQUEST",
            "Value of field deliveryType must be one of DELIVERY, PICKUP, POST, DIGITAL",
        )
    )
    unauthorised = await market.client.post(
        f"/sandbox/campaigns/{market.demo_campaign}/checkout",
        json={"items": [PHONE], "regionId": 213},
    )
    assert unauthorised.status_code == 401
    assert await market.logged(market.demo_campaign) == []


# --- Lines that leave out what the Market knows from the feed ------------------------------------


@pytest.mark.rule("R-044", "OQ-16")
async def test_feed_and_price_come_from_the_catalogue_of_the_store_this_server_runs(
    market: Market, stores: StoreRouter
) -> None:
    short = {"offerId": "game-key-north", "count": 2}
    response = await market.check_out(market.demo_campaign, items=[short], regionId=213)
    assert response.status_code == 201, response.text
    order = response.json()["order"]
    assert order["items"] == [ordered_item(order["items"][0], GAME_KEY, 2)]
    sent = json.loads((await market.last_logged(market.demo_campaign))["request"]["body"])
    assert sent["cart"]["items"][0]["feedId"] == DEMO_FEED
    assert sent["cart"]["items"][0]["price"] == GAME_KEY["price"]


@pytest.mark.rule("R-044")
async def test_a_price_given_is_kept_and_only_the_feed_is_looked_up(
    market: Market, stores: StoreRouter
) -> None:
    line = {"offerId": "game-key-north", "count": 1, "price": 1500}
    response = await market.check_out(market.demo_campaign, items=[line], regionId=213)
    assert response.status_code == 201, response.text
    assert response.json()["order"]["items"][0]["price"] == 1500.0


@pytest.mark.rule("R-081", "OQ-16")
@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {"offerId": "no-such-offer", "count": 1},
            "Missing field items[1].feedId: offer 'no-such-offer' is not in the catalogue of "
            "the store this server runs",
        ),
        (
            {"feedId": 999, "offerId": "game-key-north", "count": 1},
            "Missing field items[1].price: offer 'game-key-north' is not in the catalogue of "
            "the store this server runs",
        ),
    ],
)
async def test_a_line_the_catalogue_cannot_complete_is_400_without_a_call(
    market: Market, stores: StoreRouter, line: dict[str, Any], message: str
) -> None:
    response = await market.check_out(market.demo_campaign, items=[GAME_KEY, line], regionId=213)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))
    assert await market.logged(market.demo_campaign) == []
