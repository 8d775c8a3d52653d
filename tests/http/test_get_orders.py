"""GET v2/campaigns/{campaignId}/orders and GET .../orders/{orderId} (R-092, R-108, R-119,
R-120, C-21, OQ-13, OQ-22)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import envelope
from tests.orders_support import (
    FrozenWall,
    Shops,
    expected_order,
)
from tests.spec_schemas import assert_matches_schema

pytestmark = pytest.mark.usefixtures("wall")


async def ids(shops: Shops, **params: Any) -> list[int]:
    response = await shops.client.get(shops.orders, params={"fake": "true", **params})
    assert response.status_code == 200, response.text
    assert_matches_schema(response.json(), "GetOrdersResponse")
    return [order["id"] for order in response.json()["orders"]]


@pytest.mark.rule("R-119", "OQ-22")
async def test_get_order_returns_a_test_order(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    order = await shops.place()
    response = await client.get(shops.path(order["id"]))
    assert response.status_code == 200
    assert response.json() == {"order": expected_order(order)}
    assert_matches_schema(response.json(), "GetOrderResponse")
    # the same resource without the version prefix and with the .json suffix.
    again = await client.get(f"/campaigns/{shops.mine.campaign_id}/orders/{order['id']}.json")
    assert again.json() == response.json()


@pytest.mark.rule("OQ-13")
async def test_get_order_unknown_or_foreign_is_404(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    foreign = await shops.place(campaign_id=shops.other.campaign_id)
    for order_id in (foreign["id"], 42):
        response = await client.get(shops.path(order_id))
        assert response.status_code == 404
        assert response.json() == envelope(("NOT_FOUND", f"Order not found: '{order_id}'"))


@pytest.mark.rule("R-003")
async def test_get_order_with_a_bad_id_is_400(client: httpx.AsyncClient, shops: Shops) -> None:
    response = await client.get(shops.path("abc"))
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", "Value of field orderId must be an integer"))


@pytest.mark.rule("R-108")
async def test_test_orders_only_with_fake_true(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    order = await shops.place()
    hidden = await client.get(shops.orders)
    assert hidden.status_code == 200
    assert hidden.json() == {
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
    shown = await client.get(shops.orders, params={"fake": "true"})
    assert shown.json() == {
        "pager": {
            "total": 1,
            "from": 1,
            "to": 1,
            "currentPage": 1,
            "pagesCount": 1,
            "pageSize": 50,
        },
        "orders": [expected_order(order)],
    }


@pytest.mark.rule("R-120")
async def test_filters(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    cis = [{"offerId": "shoes", "count": 1, "price": 10, "marking": "CIS"}]
    plain = await shops.place()
    wall.moment += timedelta(seconds=1)
    business = await shops.place(buyer={"type": "BUSINESS"}, items=cis)
    wall.moment += timedelta(seconds=1)
    pickup = await shops.place(delivery={"type": "PICKUP"}, status="DELIVERY")
    wall.moment += timedelta(seconds=1)
    estimated = await shops.place(
        delivery={"type": "DELIVERY", "estimated": True},
        substatus="READY_TO_SHIP",
    )
    newest_first = [estimated["id"], pickup["id"], business["id"], plain["id"]]
    assert await ids(shops) == newest_first
    assert await ids(shops, status="DELIVERY") == [pickup["id"]]
    assert await ids(shops, status="PROCESSING,DELIVERY") == newest_first
    assert await ids(shops, substatus=["READY_TO_SHIP", "STARTED"]) == [
        estimated["id"],
        business["id"],
        plain["id"],
    ]
    assert await ids(shops, buyerType="BUSINESS") == [business["id"]]
    assert await ids(shops, hasCis="true") == [business["id"]]
    assert await ids(shops, dispatchType="SHOP_OUTLET") == [pickup["id"]]
    assert await ids(shops, onlyEstimatedDelivery="true") == [estimated["id"]]
    assert await ids(shops, supplierShipmentDateFrom="03-03-2030") == newest_first
    assert await ids(shops, supplierShipmentDateFrom="04-03-2030") == []
    assert await ids(shops, updatedAtFrom="2030-03-02T09:00:00+03:00") == newest_first
    assert await ids(shops, updatedAtTo="2030-03-02T09:00:00+03:00") == []
    # orderIds is not combined with other filters: status is ignored here.
    assert await ids(shops, orderIds=f"{plain['id']},{pickup['id']}", status="CANCELLED") == [
        pickup["id"],
        plain["id"],
    ]


@pytest.mark.rule("R-120", "R-092")
async def test_creation_dates_dd_mm_yyyy_to_date_exclusive(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    first = await shops.place()
    wall.moment += timedelta(days=1)
    second = await shops.place()
    assert await ids(shops, fromDate="02-03-2030", toDate="03-03-2030") == [first["id"]]
    assert await ids(shops, fromDate="03-03-2030", toDate="03-03-2030") == [second["id"]]
    assert await ids(shops, fromDate="03-03-2030") == [second["id"]]
    assert await ids(shops, toDate="03-03-2030") == [first["id"]]
    assert await ids(shops, fromDate="01-02-2030", toDate="03-03-2030") == [first["id"]]


@pytest.mark.rule("R-120")
async def test_closed_orders_drop_out_after_30_days(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    closed = await shops.place(status="CANCELLED", substatus="SHOP_FAILED")
    wall.moment += timedelta(seconds=1)
    open_order = await shops.place(status="DELIVERY")
    wall.moment += timedelta(days=30, seconds=-1)  # 30 days after the cancellation
    window = {"fromDate": "02-03-2030", "toDate": "03-03-2030"}
    assert await ids(shops, **window) == [open_order["id"], closed["id"]]
    wall.moment += timedelta(seconds=1)
    assert await ids(shops, **window) == [open_order["id"]]


@pytest.mark.rule("R-120", "R-081", "R-092")
@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param(
            {"fromDate": "2030-03-02"},
            "Value of field fromDate must be a date in the format DD-MM-YYYY: '2030-03-02'",
            id="iso-date",
        ),
        pytest.param(
            {"toDate": "31-02-2030"},
            "Value of field toDate must be a date in the format DD-MM-YYYY: '31-02-2030'",
            id="no-such-day",
        ),
        pytest.param(
            {"fromDate": "01-01-2030", "toDate": "01-02-2030"},
            "Too long time period. Maximum is '30' days",
            id="31-days",
        ),
        pytest.param(
            {"fromDate": "01-01-2030"},
            "Too long time period. Maximum is '30' days",
            id="open-end-too-long",
        ),
        pytest.param(
            {"updatedAtFrom": "2030-03-01"},
            "Value of field updatedAtFrom must be an "
            "ISO 8601 date-time with an offset: '2030-03-01'",
            id="updated-no-time",
        ),
        pytest.param(
            {"status": "SHIPPED"},
            "Value of field status[0] ('SHIPPED') must be one of "
            "'PLACING', 'RESERVED', 'UNPAID', 'PROCESSING', 'DELIVERY', 'PICKUP', "
            "'DELIVERED', 'CANCELLED', 'PENDING', 'PARTIALLY_RETURNED', 'RETURNED' or "
            "'UNKNOWN'",
            id="unknown-status",
        ),
        pytest.param({"fake": "maybe"}, "Value of field fake must be a boolean", id="fake"),
        pytest.param(
            {"limit": "0"},
            "Value / length of field limit (0) must be greater than or equal to 1",
            id="limit-0",
        ),
        pytest.param({"limit": "51"}, "Limit exceeded", id="limit-51"),
        pytest.param(
            {"page": "10001"},
            "Value / length of field page (10001) must be less than or equal to 10000",
            id="page-10001",
        ),
        pytest.param(
            {"page_token": "!!"}, "Value of field page_token is invalid: '!!'", id="bad-token"
        ),
        pytest.param(
            {"orderIds": ",".join(str(i) for i in range(1, 52))},
            "Value / length of field orderIds (51) must be less than or equal to 50",
            id="51-order-ids",
        ),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, shops: Shops, wall: FrozenWall, params: dict[str, str], message: str
) -> None:
    response = await client.get(shops.orders, params=params)
    assert response.status_code == 400
    assert response.json() == envelope(("BAD_REQUEST", message))


async def _place_many(shops: Shops, wall: FrozenWall, n: int) -> list[int]:
    placed = []
    for _ in range(n):
        placed.append((await shops.place())["id"])
        wall.moment += timedelta(seconds=1)
    return placed[::-1]


@pytest.mark.rule("R-120")
async def test_page_token_paging(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    newest_first = await _place_many(shops, wall, 5)
    seen: list[int] = []
    token = None
    pages = 0
    while True:
        params = {"fake": "true", "limit": "2", **({"page_token": token} if token else {})}
        body = (await client.get(shops.orders, params=params)).json()
        assert_matches_schema(body, "GetOrdersResponse")
        assert "pager" not in body
        seen += [order["id"] for order in body["orders"]]
        pages += 1
        token = body["paging"].get("nextPageToken")
        if token is None:
            break
    assert (seen, pages) == (newest_first, 3)


@pytest.mark.rule("R-120")
async def test_page_and_page_size(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    newest_first = await _place_many(shops, wall, 5)
    body = (
        await client.get(shops.orders, params={"fake": "true", "page": "2", "pageSize": "2"})
    ).json()
    assert body["pager"] == {
        "total": 5,
        "from": 3,
        "to": 4,
        "currentPage": 2,
        "pagesCount": 3,
        "pageSize": 2,
    }
    assert [order["id"] for order in body["orders"]] == newest_first[2:4]
    assert "paging" not in body
    # page/pageSize are ignored once limit is given.
    body = (
        await client.get(shops.orders, params={"fake": "true", "page": "2", "limit": "4"})
    ).json()
    assert [order["id"] for order in body["orders"]] == newest_first[:4]


@pytest.mark.rule("C-21")
# The frozen clock is past getOrders' shutdown date: this test is not about deprecation.
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026", "deprecations": False}])
async def test_limit_over_50_is_truncated_in_the_2026_profile(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str], wall: FrozenWall
) -> None:
    await _place_many(shops, wall, 51)
    body = (await client.get(shops.orders, params={"fake": "true", "limit": "51"})).json()
    assert len(body["orders"]) == 50
    assert set(body["paging"]) == {"nextPageToken"}
