"""POST v1/businesses/{businessId}/orders (getBusinessOrders): filters, paging, access and the
BusinessOrderDTO of every kind of test order (R-102, R-108, R-120; docs/decisions.md,
"getBusinessOrders (OQ-27)")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import envelope
from tests.factories import create_campaign, create_token
from tests.orders_support import FROZEN_AT, FrozenWall, Shops
from tests.spec_schemas import assert_matches_schema

pytestmark = pytest.mark.usefixtures("wall")

DECISION = "getBusinessOrders (OQ-27)"


def business_path(shops: Shops, business_id: int | str | None = None) -> str:
    return f"/v1/businesses/{business_id or shops.mine.business_id}/orders"


async def find(shops: Shops, body: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    response = await shops.client.post(
        business_path(shops), json={"fake": True, **(body or {})}, params=params
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    assert_matches_schema(found, "GetBusinessOrdersResponse")
    return found


async def found_ids(shops: Shops, body: dict[str, Any] | None = None, **params: Any) -> list[int]:
    return [order["orderId"] for order in (await find(shops, body, **params))["orders"]]


@pytest.mark.decision(DECISION)
async def test_a_delivery_order_as_business_order_dto(shops: Shops) -> None:
    placed = await shops.place(externalOrderId="shop-42")
    (order,) = (await find(shops))["orders"]
    item = placed["items"][0]
    assert order == {
        "orderId": placed["id"],
        "campaignId": shops.mine.campaign_id,
        "programType": "DBS",
        "externalOrderId": "shop-42",
        "status": "PROCESSING",
        "substatus": "STARTED",
        "creationDate": "2030-03-02T09:00:00+03:00",
        "updateDate": "2030-03-02T09:00:00+03:00",
        "paymentType": "POSTPAID",
        "paymentMethod": "CASH_ON_DELIVERY",
        "fake": True,
        "items": [
            {
                "id": item["id"],
                "offerId": "kettle-1",
                "offerName": "kettle-1",
                "count": 1,
                "prices": {"payment": {"value": 990.0, "currencyId": "RUR"}, "vat": "NO_VAT"},
            }
        ],
        "prices": {
            "payment": {"value": 990.0, "currencyId": "RUR"},
            "delivery": {"payment": {"value": 0.0, "currencyId": "RUR"}},
        },
        "delivery": {
            "type": "DELIVERY",
            "serviceName": "Собственная служба доставки",
            "deliveryServiceId": 99,
            "deliveryPartnerType": "SHOP",
            "dispatchType": "BUYER",
            "dates": {"fromDate": "2030-03-04", "toDate": "2030-03-04"},
            "shipment": {"shipmentDate": "2030-03-03"},
            "courier": {"region": {"id": 213, "name": "Москва", "type": "CITY"}},
            "estimated": False,
        },
        "buyerType": "PERSON",
        "cancelRequested": False,
        "sourcePlatform": "MARKET",
    }


@pytest.mark.rule("R-120")
@pytest.mark.decision(DECISION)
async def test_every_kind_of_test_order_validates_against_the_spec(
    shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    digital = [{"offerId": "game-1", "count": 2, "price": 100}]
    await shops.place(delivery={"type": "PICKUP"})
    await shops.place(delivery={"type": "POST"})
    await shops.place(items=[{"offerId": "boots", "count": 2, "price": 10, "marking": "CIS"}])
    await shops.place(status="CANCELLED", substatus="USER_CHANGED_MIND")
    await shops.place(status="DELIVERED")
    await shops.place(items=digital, delivery={"type": "DIGITAL"})
    found = await find(shops)
    assert len(found["orders"]) == 6
    pickup = next(o for o in found["orders"] if o["delivery"]["type"] == "PICKUP")
    assert pickup["delivery"]["pickup"]["region"]["id"] == 213
    assert "courier" not in pickup["delivery"]
    marked = next(o for o in found["orders"] if o["items"][0]["offerId"] == "boots")
    assert marked["items"][0]["requiredInstanceTypes"] == ["CIS_OPTIONAL"]
    key_order = next(o for o in found["orders"] if o["delivery"]["type"] == "DIGITAL")
    assert key_order["delivery"]["digitalGoods"] == {"type": "EMAIL"}
    assert "courier" not in key_order["delivery"] and "shipment" not in key_order["delivery"]


@pytest.mark.rule("R-108")
@pytest.mark.decision(DECISION)
async def test_test_orders_only_with_fake_true(shops: Shops) -> None:
    placed = await shops.place()
    response = await shops.client.post(business_path(shops), json={})
    assert response.status_code == 200
    assert response.json() == {"orders": [], "paging": {}}
    assert await found_ids(shops) == [placed["id"]]


@pytest.mark.decision(DECISION)
async def test_orders_of_every_campaign_of_the_business_newest_first(
    shops: Shops, client: httpx.AsyncClient, wall: FrozenWall, sandbox_headers: dict[str, str]
) -> None:
    second = await create_campaign(client, businessId=shops.mine.business_id)
    first = await shops.place()
    wall.moment += timedelta(minutes=1)
    other = await shops.place(campaign_id=second["campaignId"])
    wall.moment += timedelta(minutes=1)
    await shops.place(campaign_id=shops.other.campaign_id)  # another business's
    assert await found_ids(shops) == [other["id"], first["id"]]
    only_second = await found_ids(shops, {"campaignIds": [second["campaignId"]]})
    assert only_second == [other["id"]]


@pytest.mark.decision(DECISION)
async def test_a_campaign_of_another_business_is_403_naming_it(shops: Shops) -> None:
    for foreign in (shops.other.campaign_id, 99_999_999):
        response = await shops.client.post(
            business_path(shops),
            json={"campaignIds": [shops.mine.campaign_id, foreign]},
        )
        assert response.status_code == 403
        assert response.json() == envelope(
            (
                "FORBIDDEN",
                f"Access denied to campaign '{foreign}' (campaignIds[1]): it is not a campaign "
                f"of business '{shops.mine.business_id}'",
            )
        )


@pytest.mark.rule("R-078")
@pytest.mark.decision(DECISION)
async def test_unknown_business_404_and_another_business_403(shops: Shops) -> None:
    unknown = await shops.client.post(business_path(shops, 77), json={})
    assert unknown.status_code == 404
    assert unknown.json() == envelope(("NOT_FOUND", "Business not found: '77'"))
    foreign = await shops.client.post(business_path(shops, shops.other.business_id), json={})
    assert foreign.status_code == 403
    assert foreign.json() == envelope(("FORBIDDEN", "Access denied"))
    bad = await shops.client.post(business_path(shops, "abc"), json={})
    assert bad.status_code == 400
    assert bad.json() == envelope(("BAD_REQUEST", "Value of field businessId must be an integer"))


@pytest.mark.rule("R-072")
@pytest.mark.decision(DECISION)
async def test_v1_path_with_or_without_json_and_nothing_else(shops: Shops) -> None:
    placed = await shops.place()
    business = shops.mine.business_id
    answer = await shops.client.post(f"/v1/businesses/{business}/orders.json", json={"fake": True})
    assert answer.status_code == 200
    assert [order["orderId"] for order in answer.json()["orders"]] == [placed["id"]]
    for path in (f"/v2/businesses/{business}/orders", f"/businesses/{business}/orders"):
        missing = await shops.client.post(path, json={})
        assert missing.status_code == 404, path
    wrong_method = await shops.client.get(f"/v1/businesses/{business}/orders")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"


@pytest.mark.rule("R-102", "R-120")
@pytest.mark.decision(DECISION)
async def test_filters(shops: Shops, wall: FrozenWall) -> None:
    started = await shops.place(externalOrderId="ext-1")
    wall.moment += timedelta(minutes=1)
    delivering = await shops.place(status="DELIVERY")
    wall.moment += timedelta(minutes=1)
    cancelled = await shops.place(status="CANCELLED", substatus="SHOP_FAILED")
    await shops.move(delivering["id"], "CANCELLED", "USER_CHANGED_MIND")  # a buyer's request

    assert await found_ids(shops, {"orderIds": [started["id"], cancelled["id"]]}) == [
        cancelled["id"],
        started["id"],
    ]
    assert await found_ids(shops, {"externalOrderIds": ["ext-1", "ext-2"]}) == [started["id"]]
    assert await found_ids(shops, {"statuses": ["DELIVERY", "CANCELLED"]}) == [
        cancelled["id"],
        delivering["id"],
    ]
    assert await found_ids(shops, {"substatuses": ["STARTED"]}) == [started["id"]]
    assert await found_ids(shops, {"waitingForCancellationApprove": True}) == [delivering["id"]]
    assert await found_ids(shops, {"programTypes": ["FBS"]}) == []
    assert len(await found_ids(shops, {"programTypes": ["FBS", "DBS"]})) == 3
    assert await found_ids(shops, {"sourcePlatforms": ["OZON"]}) == []
    assert len(await found_ids(shops, {"sourcePlatforms": ["MARKET"]})) == 3
    # Filters combine.
    both = {"statuses": ["PROCESSING"], "orderIds": [cancelled["id"]]}
    assert await found_ids(shops, both) == []


@pytest.mark.rule("R-120")
@pytest.mark.decision(DECISION)
async def test_date_filters_and_their_30_days(shops: Shops, wall: FrozenWall) -> None:
    old = await shops.place()
    wall.moment += timedelta(days=40)
    new = await shops.place()
    # Without dates: the last 30 days of creation.
    assert await found_ids(shops) == [new["id"]]
    # An order asked for by id is found whatever its age.
    assert await found_ids(shops, {"orderIds": [old["id"]]}) == [old["id"]]
    created_then = {"dates": {"creationDateFrom": "2030-03-02", "creationDateTo": "2030-03-03"}}
    assert await found_ids(shops, created_then) == [old["id"]]
    # Less than a day: the end is the start plus a day (spec).
    same_day = {"dates": {"creationDateFrom": "2030-03-02", "creationDateTo": "2030-03-02"}}
    assert await found_ids(shops, same_day) == [old["id"]]
    shipped = {"dates": {"shipmentDateFrom": "2030-04-12", "shipmentDateTo": "2030-04-13"}}
    assert await found_ids(shops, shipped) == [new["id"]]
    updated = {
        "dates": {
            "updateDateFrom": (FROZEN_AT + timedelta(days=39)).isoformat(),
            "updateDateTo": (FROZEN_AT + timedelta(days=41)).isoformat(),
        }
    }
    assert await found_ids(shops, updated) == [new["id"]]
    too_long = {"dates": {"creationDateFrom": "2030-03-01", "creationDateTo": "2030-04-01"}}
    response = await shops.client.post(business_path(shops), json=too_long)
    assert response.status_code == 400
    assert response.json() == envelope(
        ("BAD_REQUEST", "Too long time period. Maximum is '30' days")
    )


@pytest.mark.rule("R-120", "C-21")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("settings_overrides", [{"profile": "seed"}, {"profile": "2026"}])
async def test_token_paging_and_a_limit_over_50_cut_to_50(
    shops: Shops, wall: FrozenWall, settings_overrides: dict[str, Any]
) -> None:
    placed = []
    for _ in range(53):
        placed.append((await shops.place())["id"])
        wall.moment += timedelta(seconds=1)
    newest_first = placed[::-1]
    first = await find(shops, limit=51)
    assert [order["orderId"] for order in first["orders"]] == newest_first[:50]
    token = first["paging"]["nextPageToken"]
    rest = await find(shops, page_token=token)
    assert [order["orderId"] for order in rest["orders"]] == newest_first[50:]
    assert rest["paging"] == {}
    small = await find(shops, limit=2, pageToken=token)
    assert [order["orderId"] for order in small["orders"]] == newest_first[50:52]


@pytest.mark.decision(DECISION)
async def test_bad_requests_name_the_field(shops: Shops) -> None:
    cases: list[tuple[dict[str, Any], dict[str, str], str]] = [
        ({"orderIds": []}, {}, "Collection of field orderIds must not be empty"),
        (
            {"orderIds": [1, 1]},
            {},
            "Value of field orderIds[1] ('1') must be unique: it repeats orderIds[0]",
        ),
        ({"orderIds": list(range(1, 52))}, {}, "Value / length of field orderIds (51) must be"),
        ({"statuses": ["LOST"]}, {}, "Value of field statuses[0] ('LOST') must be one of"),
        ({"fake": "yes"}, {}, "Value of field fake must be a boolean"),
        ({"externalOrderIds": [""]}, {}, "externalOrderIds[0]"),
        ({"dates": {"creationDateFrom": "02-03-2030"}}, {}, "dates.creationDateFrom"),
        ({"dates": {"updateDateFrom": "2030-03-02"}}, {}, "dates.updateDateFrom"),
        (
            {},
            {"limit": "0"},
            "Value / length of field limit (0) must be greater than or equal to 1",
        ),
        ({}, {"page_token": "nonsense"}, "Value of field page_token is invalid: 'nonsense'"),
    ]
    for body, params, message in cases:
        response = await shops.client.post(business_path(shops), json=body, params=params)
        assert response.status_code == 400, (body, params)
        errors = response.json()["errors"]
        assert any(message in error["message"] for error in errors), (body, errors)
    empty = await shops.client.post(business_path(shops), content=b"")
    assert empty.status_code == 400


@pytest.mark.rule("R-077")
@pytest.mark.decision(DECISION)
async def test_a_communication_key_may_not_list_business_orders(
    shops: Shops, client: httpx.AsyncClient
) -> None:
    token = await create_token(client, shops.mine.business_id, ["communication"])
    response = await client.post(
        business_path(shops), json={}, headers={"Api-Key": token["apiKey"]}
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "FORBIDDEN"


@pytest.mark.rule("R-035", "R-120", "OQ-26")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026"}])
async def test_digital_types_and_stored_codes_validate_against_the_spec(shops: Shops) -> None:
    for kind in ("EMAIL", "ACTIVATION_CODE", "STEAM_GIFT", "CHAT"):
        await shops.place(
            items=[{"offerId": f"game-{kind}", "count": 1, "price": 100}],
            delivery={"type": "DIGITAL", "digitalGoods": {"type": kind}},
        )
    marked = await shops.place(
        items=[{"offerId": "shoes-1", "count": 1, "price": 2990, "marking": "CIS"}]
    )
    code = "01030410947874432155Qbag!\u001d93Zjqw"
    item_id = marked["items"][0]["id"]
    stored = await shops.client.put(
        f"{shops.path(marked['id'])}/identifiers",
        json={"items": [{"id": item_id, "instances": [{"cis": code}]}]},
    )
    assert stored.status_code == 200, stored.text
    found = {order["orderId"]: order for order in (await find(shops))["orders"]}
    kinds = sorted(
        order["delivery"]["digitalGoods"]["type"]
        for order in found.values()
        if order["delivery"]["type"] == "DIGITAL"
    )
    assert kinds == ["ACTIVATION_CODE", "CHAT", "EMAIL", "STEAM_GIFT"]
    (instance,) = found[marked["id"]]["items"][0]["instances"]
    assert instance == {"cis": "01030410947874432155Qbag!", "cisFull": code}
