"""Hostile parameters against a real ``dbskit serve``: ids and dates at and beyond the ends of
their ranges, spellings ``int()`` forgives, lax JSON types, and bad values beside ``orderIds``.

Every bad value is a 400 in the Market's envelope naming the parameter, on the Partner API and
/sandbox alike (docs/decisions.md, "Parameters and JSON types"); none is a 500 or a write.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _postgres_schema, envelope, postgres_url
from tests.e2e.server import running_server, sandbox_seller

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-hostile-parameters-token"
SANDBOX = {"Sandbox-Token": TOKEN}
DECISION = "Parameters and JSON types"
INT64_MAX = 2**63 - 1
HUGE = "1" * 4301  # one digit over Python's int() limit for text (4,300 digits)
EMPTY_PAGE = {
    "pager": {
        "total": 0,
        "from": 0,
        "to": 0,
        "currentPage": 1,
        "pagesCount": 0,
        "pageSize": 50,
    },
    "orders": [],
}


def bad(message: str) -> dict[str, Any]:
    return envelope(("BAD_REQUEST", message))


def not_an_integer(field: str) -> dict[str, Any]:
    return bad(f"Value of field {field} must be an integer")


def too_big(field: str, value: str) -> dict[str, Any]:
    return bad(
        f"Value / length of field {field} ({value}) must be less than or equal to {INT64_MAX}"
    )


def too_small(field: str, value: str) -> dict[str, Any]:
    return bad(f"Value / length of field {field} ({value}) must be greater than or equal to 1")


@dataclass
class Served:
    http: httpx.Client
    campaign_id: int
    business_id: int
    order_id: int
    key: dict[str, str]

    @property
    def orders(self) -> str:
        return f"/v2/campaigns/{self.campaign_id}/orders"

    @property
    def order(self) -> str:
        return f"{self.orders}/{self.order_id}"

    def get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """``url`` exactly as written: its escapes are the test's, not httpx's."""
        return self.http.get(url, headers=self.key if headers is None else headers)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    folder = Path(tempfile.mkdtemp(prefix="dbskit-hostile-parameters-"))
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{folder / 'dbskit.sqlite3'}"])
    else:
        base = postgres_url()
        if base is None:
            pytest.skip("PostgreSQL not configured: set DBSKIT_TEST_POSTGRES_URL to run this case")
        urls = _postgres_schema(base)
    url = next(urls)
    args = ["--data-dir", str(folder / "data"), "--database-url", url]
    try:
        with (
            running_server(args, env={"DBSKIT_SANDBOX_TOKEN": TOKEN}, ready_headers=SANDBOX) as s,
            httpx.Client(base_url=s.base_url, timeout=30) as http,
        ):
            seller = sandbox_seller(s.base_url, TOKEN, orders=1)
            yield Served(
                http,
                seller.campaign_id,
                seller.business_id,
                seller.order_ids[0],
                {"Api-Key": seller.api_key},
            )
    finally:
        next(urls, None)  # drops the PostgreSQL schema


# D1/D2: dates at the ends of the calendar --------------------------------------------------


@pytest.mark.rule("R-092", "R-120", "R-081")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("query", "status", "expected"),
    [
        pytest.param(
            "updatedAtTo=",
            400,
            bad("Value of field updatedAtTo must be an ISO 8601 date-time with an offset: ''"),
            id="updated-to-empty",
        ),
        pytest.param(
            "updatedAtFrom=",
            400,
            bad("Value of field updatedAtFrom must be an ISO 8601 date-time with an offset: ''"),
            id="updated-from-empty",
        ),
        pytest.param(
            "updatedAtTo=0001-01-01T00:00:00%2B14:00",
            400,
            bad(
                "Value / length of field updatedAtTo (0001-01-01T00:00:00+14:00) must be between "
                "0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z"
            ),
            id="updated-before-year-1-in-utc",
        ),
        pytest.param(
            "updatedAtFrom=9999-12-31T23:59:59-01:00",
            400,
            bad(
                "Value / length of field updatedAtFrom (9999-12-31T23:59:59-01:00) must be "
                "between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z"
            ),
            id="updated-after-year-9999-in-utc",
        ),
        pytest.param(
            "toDate=01-01-0001",
            400,
            bad(
                "Value / length of field toDate (01-01-0001) must be between 02-01-0001 and "
                "31-12-9999"
            ),
            id="to-date-before-utc-midnight",
        ),
        pytest.param(
            "fromDate=",
            400,
            bad("Value of field fromDate must be a date in the format DD-MM-YYYY: ''"),
            id="from-date-empty",
        ),
        pytest.param(
            "supplierShipmentDateTo=%EF%BC%90%EF%BC%91-01-2030",  # fullwidth digits
            400,
            bad(
                "Value of field supplierShipmentDateTo must be a date in the format DD-MM-YYYY: "
                "'\uff10\uff11-01-2030'"
            ),
            id="shipment-other-digits",
        ),
        # A period's computed end stops at the ends of the calendar: an empty page, not a 500.
        pytest.param("updatedAtFrom=9999-12-31T00:00:00Z", 200, EMPTY_PAGE, id="updated-from-9999"),
        pytest.param(
            "updatedAtTo=0001-01-01T00:00:00-14:00", 200, EMPTY_PAGE, id="updated-to-year-1"
        ),
        pytest.param("fromDate=31-12-9999", 200, EMPTY_PAGE, id="from-date-9999"),
        pytest.param("toDate=02-01-0001", 200, EMPTY_PAGE, id="to-date-first-day"),
        pytest.param(
            "supplierShipmentDateFrom=31-12-9999", 200, EMPTY_PAGE, id="shipment-from-9999"
        ),
        pytest.param(
            "supplierShipmentDateTo=02-01-0001", 200, EMPTY_PAGE, id="shipment-to-first-day"
        ),
    ],
)
def test_get_orders_dates_at_the_ends_of_the_calendar(
    served: Served, query: str, status: int, expected: dict[str, Any]
) -> None:
    response = served.get(f"{served.orders}?{query}")
    assert (response.status_code, response.json()) == (status, expected)


# D3: ids with more digits than int() reads ------------------------------------------------


@pytest.mark.rule("R-003", "R-081", "R-120")
@pytest.mark.decision(DECISION)
def test_ids_of_thousands_of_digits_are_400(served: Served) -> None:
    cases = [
        (f"{served.orders}/{HUGE}", served.key, too_big("orderId", HUGE)),
        (f"/v2/campaigns/{HUGE}/orders", served.key, too_big("campaignId", HUGE)),
        (f"/v2/campaigns/-{HUGE}/orders/1", served.key, too_small("campaignId", f"-{HUGE}")),
        (f"{served.orders}?orderIds={HUGE}", served.key, too_big("orderIds[0]", HUGE)),
        (
            f"/sandbox/campaigns/{served.campaign_id}/orders/{HUGE}",
            SANDBOX,
            too_big("orderId", HUGE),
        ),
        (f"/sandbox/campaigns/{HUGE}/orders/1", SANDBOX, too_big("campaignId", HUGE)),
        (f"/sandbox/outbox?orderId={HUGE}", SANDBOX, too_big("orderId", HUGE)),
        (f"/sandbox/requests?campaignId={HUGE}", SANDBOX, too_big("campaignId", HUGE)),
    ]
    for url, headers, expected in cases:
        response = served.get(url, headers)
        assert (url[:60], response.status_code, response.json()) == (url[:60], 400, expected)


@pytest.mark.rule("R-120")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    "raw",
    [b"99999999999999999999:1", b"1:99999999999999999999", HUGE.encode() + b":1", b" 1_0:+1"],
    ids=["time-beyond-calendar", "id-beyond-int64", "huge", "lax-spellings"],
)
def test_a_page_token_with_numbers_out_of_range_is_400(served: Served, raw: bytes) -> None:
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = served.get(f"{served.orders}?fake=true&page_token={token}")
    assert (response.status_code, response.json()) == (
        400,
        bad(f"Value of field page_token is invalid: '{token}'"),
    )


# D10: strict JSON types ------------------------------------------------------------------


@pytest.mark.rule("R-018", "R-081")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("value", ["true", '"1"', "1.0", "1e0", "null"])
def test_delivery_service_id_must_be_a_json_integer(served: Served, value: str) -> None:
    before = served.get(served.order).json()
    response = served.http.post(
        f"{served.order}/delivery/track",
        content=f'{{"trackCode": "TRACK-1", "deliveryServiceId": {value}}}',
        headers={**served.key, "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()) == (
        400,
        not_an_integer("deliveryServiceId"),
    )
    assert served.get(served.order).json() == before  # nothing was written


@pytest.mark.rule("R-029", "R-005", "R-081")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        pytest.param(
            "identifiers",
            {"items": [{"id": "1", "instances": [{"cis": "x"}]}]},
            not_an_integer("items[0].id"),
            id="identifiers-id-string",
        ),
        pytest.param(
            "deliverDigitalGoods",
            {"items": [{"id": True, "codes": ["K"], "slip": "s", "activate_till": "2030-01-01"}]},
            not_an_integer("items[0].id"),
            id="digital-id-true",
        ),
    ],
)
def test_partner_api_bodies_take_json_integers_only(
    served: Served, path: str, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = served.get(served.order).json()
    method = "PUT" if path == "identifiers" else "POST"
    response = served.http.request(method, f"{served.order}/{path}", json=body, headers=served.key)
    assert (response.status_code, response.json()) == (400, expected)
    assert served.get(served.order).json() == before


@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"items": [{"offerId": "sku-1", "count": 1, "price": "100"}]},
            bad("Value of field items[0].price must be a number"),
            id="price-string",
        ),
        pytest.param(
            {"delivery": {"type": "DELIVERY", "price": True}},
            bad("Value of field delivery.price must be a number"),
            id="delivery-price-true",
        ),
        pytest.param(
            {"delivery": {"type": "DELIVERY", "serviceId": "99"}},
            not_an_integer("delivery.serviceId"),
            id="service-id-string",
        ),
        pytest.param(
            {"buyer": {"calls": [{"startedAt": "2030-01-01T10:00:00Z", "durationSeconds": "9"}]}},
            bad("Value of field buyer.calls[0].durationSeconds must be a number"),
            id="duration-string",
        ),
    ],
)
def test_sandbox_order_bodies_take_json_types_only(
    served: Served, change: dict[str, Any], expected: dict[str, Any]
) -> None:
    listing = f"{served.orders}?fake=true"
    before = served.get(listing).json()
    body = {
        "items": [{"offerId": "sku-1", "count": 1, "price": 100}],
        "delivery": {"type": "DELIVERY"},
        **change,
    }
    response = served.http.post(
        f"/sandbox/campaigns/{served.campaign_id}/orders", json=body, headers=SANDBOX
    )
    assert (response.status_code, response.json()) == (400, expected)
    assert served.get(listing).json() == before  # no test order was made


@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("business_id", ["BUSINESS", True, 1.0], ids=["string", "true", "float"])
def test_sandbox_token_business_id_takes_a_json_integer_only(
    served: Served, business_id: object
) -> None:
    response = served.http.post(
        "/sandbox/tokens",
        json={
            "businessId": str(served.business_id) if business_id == "BUSINESS" else business_id,
            "scopes": ["all-methods"],
        },
        headers=SANDBOX,
    )
    assert (response.status_code, response.json()) == (400, not_an_integer("businessId"))


# D12: every parameter is checked, orderIds or not ---------------------------------------------


@pytest.mark.rule("R-120", "R-092", "R-081")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            "fromDate=garbage",
            bad("Value of field fromDate must be a date in the format DD-MM-YYYY: 'garbage'"),
            id="from-date",
        ),
        pytest.param(
            "supplierShipmentDateFrom=",
            bad(
                "Value of field supplierShipmentDateFrom must be a date in the format "
                "DD-MM-YYYY: ''"
            ),
            id="shipment-empty",
        ),
        pytest.param(
            "substatus=STARTED&substatus=STARTED",
            bad("Value of field substatus[1] ('STARTED') must be unique: it repeats substatus[0]"),
            id="substatus-repeated",
        ),
        pytest.param(
            "status=PROCESSING,DELIVERY,PROCESSING",
            bad("Value of field status[2] ('PROCESSING') must be unique: it repeats status[0]"),
            id="status-repeated",
        ),
        pytest.param(
            "updatedAtTo=",
            bad("Value of field updatedAtTo must be an ISO 8601 date-time with an offset: ''"),
            id="updated-empty",
        ),
        pytest.param("page=1_0", not_an_integer("page"), id="page-underscore"),
        pytest.param("limit=%2B5", not_an_integer("limit"), id="limit-plus"),
        pytest.param("pageSize=%205", not_an_integer("pageSize"), id="page-size-space"),
        pytest.param(
            "fromDate=01-01-2020&toDate=01-03-2020",
            bad("Too long time period. Maximum is '30' days"),
            id="period-too-long",
        ),
    ],
)
@pytest.mark.parametrize("order_ids", ["", "orderIds=1&"], ids=["alone", "beside-order-ids"])
def test_every_get_orders_parameter_is_checked_beside_order_ids(
    served: Served, order_ids: str, query: str, expected: dict[str, Any]
) -> None:
    response = served.get(f"{served.orders}?{order_ids}{query}")
    assert (response.status_code, response.json()) == (400, expected)


@pytest.mark.rule("R-120", "R-081")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("orderIds=", not_an_integer("orderIds[0]"), id="empty"),
        pytest.param("orderIds=1,,2", not_an_integer("orderIds[1]"), id="empty-element"),
        pytest.param("orderIds=1_0", not_an_integer("orderIds[0]"), id="underscore"),
        pytest.param("orderIds=0", too_small("orderIds[0]", "0"), id="zero"),
        pytest.param(
            "status=",
            bad(
                "Value of field status[0] ('') must be one of 'PLACING', 'RESERVED', 'UNPAID', "
                "'PROCESSING', 'DELIVERY', 'PICKUP', 'DELIVERED', 'CANCELLED', 'PENDING', "
                "'PARTIALLY_RETURNED', 'RETURNED' or 'UNKNOWN'"
            ),
            id="status-empty",
        ),
    ],
)
def test_get_orders_list_elements_are_checked_one_by_one(
    served: Served, query: str, expected: dict[str, Any]
) -> None:
    response = served.get(f"{served.orders}?{query}")
    assert (response.status_code, response.json()) == (400, expected)


# D20: spellings that int() forgives -----------------------------------------------------------


@pytest.mark.rule("R-003", "R-081")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        pytest.param("1_000", not_an_integer("orderId"), id="underscore"),
        pytest.param("+{order}", not_an_integer("orderId"), id="plus"),
        pytest.param("%20{order}", not_an_integer("orderId"), id="space"),
        pytest.param("{order}%20", not_an_integer("orderId"), id="trailing-space"),
        pytest.param("%EF%BC%91", not_an_integer("orderId"), id="fullwidth-digit"),
        pytest.param("{order}.0", not_an_integer("orderId"), id="fraction"),
        pytest.param("0", too_small("orderId", "0"), id="zero"),
        pytest.param("-1", too_small("orderId", "-1"), id="negative"),
        pytest.param(
            str(INT64_MAX + 1), too_big("orderId", str(INT64_MAX + 1)), id="int64-overflow"
        ),
    ],
)
@pytest.mark.parametrize("api", ["partner", "sandbox"])
def test_order_ids_in_paths_are_ascii_digits_of_a_positive_int64(
    served: Served, api: str, spelling: str, expected: dict[str, Any]
) -> None:
    order = spelling.format(order=served.order_id)
    if api == "partner":
        response = served.get(f"{served.orders}/{order}")
    else:
        response = served.get(f"/sandbox/campaigns/{served.campaign_id}/orders/{order}", SANDBOX)
    assert (response.status_code, response.json()) == (400, expected)


@pytest.mark.rule("R-003")
@pytest.mark.decision(DECISION)
def test_leading_zeros_are_digits(served: Served) -> None:
    partner = served.get(f"{served.orders}/000{served.order_id}")
    assert (partner.status_code, partner.json()) == (200, served.get(served.order).json())
    sandbox = served.get(
        f"/sandbox/campaigns/{served.campaign_id}/orders/0{served.order_id}", SANDBOX
    )
    assert sandbox.status_code == 200
    assert sandbox.json()["order"]["id"] == served.order_id


@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("/sandbox/requests?campaignId=1_0", not_an_integer("campaignId"), id="log"),
        pytest.param("/sandbox/requests?limit=", not_an_integer("limit"), id="log-limit-empty"),
        pytest.param("/sandbox/outbox?orderId=%2B1", not_an_integer("orderId"), id="outbox-plus"),
        pytest.param("/sandbox/outbox?campaignId=0", too_small("campaignId", "0"), id="outbox-0"),
    ],
)
def test_sandbox_query_integers_use_the_same_parser(
    served: Served, query: str, expected: dict[str, Any]
) -> None:
    response = served.get(query, SANDBOX)
    assert (response.status_code, response.json()) == (400, expected)
