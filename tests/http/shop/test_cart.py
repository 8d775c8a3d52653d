"""POST /cart over HTTP: the answer (R-045..R-066), 400 (R-067) and 500 (R-068) as OQ-18 bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from dbskit.contract import limits
from dbskit.contract.cart import CartAnswer, CartRequest
from dbskit.contract.enums import Currency
from dbskit.shop.service import Responder
from dbskit.store_data.data import StoreData
from tests.cart_factories import (
    DIGITAL_OPTION_MONDAY,
    MOSCOW,
    MOSCOW_OPTIONS,
    MSK_PAYMENTS,
    answer,
    answer_line,
    cart_body,
    line,
)
from tests.http.shop.conftest import store_error

PATTERN = limits.OFFER_ID_PATTERN
CURRENCIES = ", ".join(f"'{code.value}'" for code in list(Currency)[:-1]) + " or 'UE'"


@pytest.mark.rule("R-045", "R-046", "R-047", "R-057", "R-059", "R-060", "R-063", "R-069")
async def test_moscow_basket(store_client: httpx.AsyncClient, push_headers: dict[str, str]) -> None:
    body = cart_body(MOSCOW, line("phone-nova-x1", 2), line("kettle-aqua-17", 5))
    response = await store_client.post("/cart", json=body, headers=push_headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == answer(
        [answer_line("phone-nova-x1", 2), answer_line("kettle-aqua-17", 3)],
        MOSCOW_OPTIONS,
        MSK_PAYMENTS,
    )


@pytest.mark.rule("OQ-21")
async def test_digital_basket(
    store_client: httpx.AsyncClient, push_headers: dict[str, str]
) -> None:
    body = cart_body(MOSCOW, line("antivirus-1y"))
    response = await store_client.post("/cart", json=body, headers=push_headers)
    assert response.json() == answer(
        [answer_line("antivirus-1y", 1)], [DIGITAL_OPTION_MONDAY], ["YANDEX"]
    )


@pytest.mark.rule("C-18", "R-042", "R-043", "R-044")
async def test_unknown_and_sample_only_fields_are_ignored(
    store_client: httpx.AsyncClient, push_headers: dict[str, str]
) -> None:
    body = cart_body(
        MOSCOW,
        line(
            "phone-nova-x1",
            priceBeforeDiscount=25990.5,
            promos=[{"type": "DIRECT_DISCOUNT", "subsidy": 100.0, "marketPromoId": "p"}],
            somethingNew={"x": 1},
        ),
        buyer={"type": "BUSINESS", "email": "a@b.c", "uid": 5, "phone": "+79990000000"},
        newTopLevelField=True,
    )
    body["cart"]["delivery"]["address"] = {"city": "Москва", "house": "1", "recipient": "Иван"}
    body["cart"]["delivery"]["outlet"] = {"code": "MSK-1"}
    response = await store_client.post("/cart", json=body, headers=push_headers)
    assert response.status_code == 200
    assert response.json()["cart"]["items"] == [answer_line("phone-nova-x1", 1)]


def _with(path: list[str | int], value: Any) -> dict[str, Any]:
    body = cart_body(MOSCOW, line("phone-nova-x1"))
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    if value is _DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


_DROP = object()


@pytest.mark.rule("R-067", "OQ-18", "R-041", "R-043", "R-044")
@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({}, "Missing field cart", id="no-cart"),
        pytest.param(
            _with(["cart", "items"], []),
            "Collection of field cart.items must not be empty",
            id="empty-items",
        ),
        pytest.param(
            _with(["cart", "delivery"], _DROP), "Missing field cart.delivery", id="no-delivery"
        ),
        pytest.param(
            _with(["cart", "delivery", "region", "id"], "moscow"),
            "Value of field cart.delivery.region.id must be an integer",
            id="region-id-not-integer",
        ),
        pytest.param(
            _with(["cart", "items", 0, "offerId"], "phone\u0001"),
            f"Value of field cart.items[0].offerId must match the pattern: '{PATTERN}'",
            id="offer-id-control-character",
        ),
        pytest.param(
            _with(["cart", "items", 0, "offerId"], "   "),
            f"Value of field cart.items[0].offerId must match the pattern: '{PATTERN}'",
            id="offer-id-only-spaces",
        ),
        pytest.param(
            _with(["cart", "items", 0, "offerId"], "x" * 256),
            "Value / length of field cart.items[0].offerId (256) must be less than or equal to 255",
            id="offer-id-256",
        ),
        pytest.param(
            _with(["cart", "items", 0, "count"], 0),
            "Value / length of field cart.items[0].count (0) must be greater than or equal to 1",
            id="count-zero",
        ),
        pytest.param(
            _with(["cart", "items", 0, "feedId"], _DROP),
            "Missing field cart.items[0].feedId",
            id="no-feed-id",
        ),
        pytest.param(
            _with(["cart", "currency"], "RUB"),
            f"Value of field cart.currency ('RUB') must be one of {CURRENCIES}",
            id="currency-not-in-currency-type",
        ),
        pytest.param(
            _with(["cart", "buyer", "type"], "ROBOT"),
            "Value of field cart.buyer.type ('ROBOT') must be one of 'PERSON' or 'BUSINESS'",
            id="buyer-type",
        ),
    ],
)
async def test_request_that_cannot_be_accepted(
    store_client: httpx.AsyncClient, push_headers: dict[str, str], body: Any, message: str
) -> None:
    response = await store_client.post("/cart", json=body, headers=push_headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == store_error("BAD_REQUEST", message)


@pytest.mark.rule("R-067", "OQ-18")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "Unexpected end of content", id="empty"),
        pytest.param(
            b'{"cart": ', "JSON: EOF while parsing a value at line 1 column 9", id="cut-off"
        ),
        pytest.param(
            b"\xff{}", "Unexpected character '0xFF': expected a valid value 'UTF-8'", id="not-utf8"
        ),
    ],
)
async def test_body_that_is_not_json(
    store_client: httpx.AsyncClient, push_headers: dict[str, str], content: bytes, message: str
) -> None:
    response = await store_client.post("/cart", content=content, headers=push_headers)
    assert (response.status_code, response.json()) == (400, store_error("BAD_REQUEST", message))


@pytest.mark.rule("R-067", "R-069")
async def test_body_that_is_not_json_typed(store_client: httpx.AsyncClient) -> None:
    headers = {"Authorization": "push-token-for-tests", "Content-Type": "text/plain"}
    response = await store_client.post("/cart", content=b"{}", headers=headers)
    assert response.status_code == 415
    assert response.json() == store_error(
        "UNSUPPORTED_MEDIA_TYPE", "Content type 'text/plain' not supported"
    )


@pytest.mark.rule("R-067", "OQ-18")
async def test_several_violations_in_one_message(
    store_client: httpx.AsyncClient, push_headers: dict[str, str]
) -> None:
    body = {"cart": {"delivery": {"region": {}}, "items": [{"offerId": "a", "count": -1}]}}
    response = await store_client.post("/cart", json=body, headers=push_headers)
    assert response.json() == store_error(
        "BAD_REQUEST",
        "Missing field cart.delivery.region.id; Missing field cart.items[0].feedId; "
        "Value / length of field cart.items[0].count (-1) must be greater than or equal to 1",
    )


@pytest.mark.rule("R-037", "OQ-18")
async def test_other_paths_and_methods(
    store_client: httpx.AsyncClient, push_headers: dict[str, str]
) -> None:
    wrong_method = await store_client.get("/cart", headers=push_headers)
    assert (wrong_method.status_code, wrong_method.json()) == (
        405,
        store_error("METHOD_NOT_ALLOWED", "Request method 'GET' not supported"),
    )
    unknown = await store_client.post("/order/accept", json={}, headers=push_headers)
    assert (unknown.status_code, unknown.json()) == (
        404,
        store_error("NOT_FOUND", "Resource not found: '/order/accept'"),
    )


def _failing(_request: CartRequest, _data: StoreData, _now: datetime) -> CartAnswer:
    raise RuntimeError("disk on fire")


@pytest.mark.rule("R-068", "OQ-18")
@pytest.mark.parametrize("responder", [_failing])
async def test_internal_failure_is_500_without_internals(
    store_client: httpx.AsyncClient, push_headers: dict[str, str], responder: Responder
) -> None:
    response = await store_client.post(
        "/cart", json=cart_body(MOSCOW, line("phone-nova-x1")), headers=push_headers
    )
    assert response.status_code == 500
    body = response.json()
    request_id = body["error"]["message"].rsplit(" ", 1)[-1]
    assert len(request_id) == 32
    assert body == store_error(
        "INTERNAL_ERROR", f"internal error of the store; request id {request_id}"
    )
    assert "disk on fire" not in response.text
