"""PUT identifiers and POST identifiers/status over HTTP; R-025 in PUT status.

R-028..R-036, R-121, C-09, C-10, OQ-07..OQ-09, OQ-12.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import envelope
from tests.orders_support import Shops

CIS_A = "01030410947874432155Qbag!\u001d93Zjqw"  # R-032: the docs' sample
CIS_A_SHORT = "01030410947874432155Qbag!"
CIS_B = "(01)04600439930292(21)aaaaaaa\u001d(91)EE06\u001d(92)xyz"
CIS_B_SHORT = "010460043993029221aaaaaaa"
UIN_A = "1234567890123456"


pytestmark = pytest.mark.usefixtures("wall")


async def marked_order(shops: Shops, buyer: str = "BUSINESS", **body: Any) -> dict[str, Any]:
    items = [
        {
            "offerId": "shoes-1",
            "offerName": "Shoes",
            "count": 2,
            "price": 2990,
            "vat": "VAT_20",
            "marking": "CIS",
        },
        {"offerId": "ring-1", "offerName": "Ring", "count": 1, "price": 15000, "marking": "UIN"},
        {"offerId": "mug-1", "offerName": "Mug", "count": 1, "price": 300},
    ]
    return await shops.place(items=items, buyer={"type": buyer}, **body)


def ids(order: dict[str, Any]) -> list[int]:
    return [item["id"] for item in order["items"]]


def identifiers_path(shops: Shops, order: dict[str, Any]) -> str:
    return f"{shops.path(order['id'])}/identifiers"


def brief(
    item_id: int, name: str, offer: str, count: int, price: float, vat: str, instances: Any = None
) -> dict[str, Any]:
    item = {
        "id": item_id,
        "vat": vat,
        "count": count,
        "price": price,
        "offerName": name,
        "offerId": offer,
    }
    if instances is not None:
        item["instances"] = instances
    return item


# Eight calls at once on one key: lift the parallel cap so all of them reach the order.
CONCURRENT = {"parallel_limit": 8}


@pytest.mark.rule("R-023", "R-028", "R-029", "R-031", "R-032", "R-034", "OQ-09")
async def test_codes_accepted_and_answered(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops)
    shoes, ring, mug = ids(order)
    body = {
        "items": [
            {"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]},
            {"id": ring, "instances": [{"uin": UIN_A}]},
            {"id": mug, "instances": [{"gtd": "10702070/010122/0000001", "countryCode": "CN"}]},
        ]
    }
    response = await client.put(identifiers_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        200,
        {
            "status": "OK",
            "result": {
                "items": [
                    brief(
                        shoes,
                        "Shoes",
                        "shoes-1",
                        2,
                        2990,
                        "VAT_20",
                        [
                            {"cis": CIS_A_SHORT, "cisFull": CIS_A},
                            {"cis": CIS_B_SHORT, "cisFull": CIS_B},
                        ],
                    ),
                    brief(ring, "Ring", "ring-1", 1, 15000, "NO_VAT", [{"uin": UIN_A}]),
                    brief(
                        mug,
                        "Mug",
                        "mug-1",
                        1,
                        300,
                        "NO_VAT",
                        [{"gtd": "10702070/010122/0000001", "countryCode": "CN"}],
                    ),
                ]
            },
        },
    )


@pytest.mark.rule("R-035", "R-119")
async def test_stored_codes_show_on_the_order(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops)
    shoes, _ring, _mug = ids(order)
    before = (await client.get(shops.path(order["id"]))).json()["order"]["items"]
    assert ["instances" in item for item in before] == [False, False, False]
    body = {"items": [{"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]}]}
    assert (await client.put(identifiers_path(shops, order), json=body)).status_code == 200
    after = (await client.get(shops.path(order["id"]))).json()["order"]["items"]
    assert [item.get("instances") for item in after] == [
        [{"cis": CIS_A_SHORT, "cisFull": CIS_A}, {"cis": CIS_B_SHORT, "cisFull": CIS_B}],
        None,
        None,
    ]


@pytest.mark.rule("OQ-08")
async def test_each_call_replaces_the_items_it_lists(
    client: httpx.AsyncClient, shops: Shops
) -> None:
    order = await marked_order(shops)
    shoes, ring, _mug = ids(order)
    first = {
        "items": [
            {"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]},
            {"id": ring, "instances": [{"uin": UIN_A}]},
        ]
    }
    assert (await client.put(identifiers_path(shops, order), json=first)).status_code == 200
    second = {"items": [{"id": shoes, "instances": [{"cis": CIS_B}, {"cis": CIS_A}]}]}
    response = await client.put(identifiers_path(shops, order), json=second)
    assert response.status_code == 200
    items = (await client.get(shops.path(order["id"]))).json()["order"]["items"]
    assert [item.get("instances") for item in items] == [
        [{"cis": CIS_B_SHORT, "cisFull": CIS_B}, {"cis": CIS_A_SHORT, "cisFull": CIS_A}],
        [{"uin": UIN_A}],
        None,
    ]


@pytest.mark.rule("R-031", "R-033", "R-036", "OQ-07", "C-10")
async def test_every_violation_is_reported_and_nothing_written(
    client: httpx.AsyncClient, shops: Shops
) -> None:
    order = await marked_order(shops)
    shoes, ring, mug = ids(order)
    body = {
        "items": [
            {"id": shoes, "instances": [{"cis": "01030410947874432155Qbag!\\u001d93Zjqw"}]},
            {"id": ring, "instances": [{"uin": "12345"}]},
            {"id": mug, "instances": [{"gtd": "1/2/3", "countryCode": "Russia"}]},
            {"id": 5, "instances": []},
        ]
    }
    response = await client.put(identifiers_path(shops, order), json=body)
    assert response.status_code == 400
    assert response.json() == envelope(
        ("INVALID_CIS", response.json()["errors"][0]["message"]),
        ("TOO_FEW_CISES_FOR_ITEM", f"Item {shoes} needs 2 CIS codes, one per unit; 1 given"),
        (
            "INVALID_UIN",
            "Value of field items[1].instances[0].uin ('12345') must be a 16-digit number",
        ),
        (
            "INVALID_COUNTRY_CODE",
            "String (Russia) is not a valid country code according to ISO 3166-1 alpha-2",
        ),
        (
            "ITEM_NOT_FOUND",
            f"Item not found: '5' (field items[3].id) is not an item of order {order['id']}",
        ),
    )
    assert response.json()["errors"][0]["message"].startswith(
        "Value of field items[0].instances[0].cis must match the pattern: '^(?=.{1,256}$)\\u001D?"
    )
    items = (await client.get(shops.path(order["id"]))).json()["order"]["items"]
    assert [item.get("instances") for item in items] == [None, None, None]


@pytest.mark.rule("OQ-07")
async def test_duplicate_cis_within_the_order(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops)
    shoes, _ring, mug = ids(order)
    body = {
        "items": [
            {"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]},
            {"id": mug, "instances": [{"cis": CIS_A_SHORT}]},
        ]
    }
    response = await client.put(identifiers_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "DUPLICATE_CIS",
                "Value of field items[1].instances[0].cis repeats a CIS code already given "
                f"for item {shoes}",
            )
        ),
    )


@pytest.mark.rule("OQ-07", "OQ-08")
async def test_a_code_kept_by_an_item_not_listed_cannot_be_given_again(
    client: httpx.AsyncClient, shops: Shops
) -> None:
    """Codes of the items a call leaves out stay theirs; the items it lists give theirs up."""
    order = await marked_order(shops)
    shoes, ring, mug = ids(order)
    first = {"items": [{"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]}]}
    assert (await client.put(identifiers_path(shops, order), json=first)).status_code == 200

    taken = {"items": [{"id": mug, "instances": [{"cis": CIS_B_SHORT}]}]}
    response = await client.put(identifiers_path(shops, order), json=taken)
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "DUPLICATE_CIS",
                "Value of field items[0].instances[0].cis repeats a CIS code already given "
                f"for item {shoes}",
            )
        ),
    )
    moved: dict[str, Any] = {
        "items": [
            {"id": ring, "instances": [{"uin": UIN_A}]},
            {"id": mug, "instances": [{"cis": CIS_B_SHORT}]},
            {"id": shoes, "instances": [{"cis": CIS_A}]},
        ]
    }
    response = await client.put(identifiers_path(shops, order), json=moved)
    assert response.status_code == 400  # the shoes need two codes: nothing is written
    assert [error["code"] for error in response.json()["errors"]] == ["TOO_FEW_CISES_FOR_ITEM"]
    moved["items"][2]["instances"].append({"cis": "01030410947874432155Qbag?"})
    response = await client.put(identifiers_path(shops, order), json=moved)
    assert response.status_code == 200
    items = (await client.get(shops.path(order["id"]))).json()["order"]["items"]
    assert [item.get("instances") for item in items] == [
        [
            {"cis": CIS_A_SHORT, "cisFull": CIS_A},
            {"cis": "01030410947874432155Qbag?", "cisFull": "01030410947874432155Qbag?"},
        ],
        [{"uin": UIN_A}],
        [{"cis": CIS_B_SHORT, "cisFull": CIS_B_SHORT}],
    ]


@pytest.mark.rule("C-09", "C-10")
@pytest.mark.parametrize(
    "settings_overrides", [{"strict_marking_widths": True, "strict_country_code": True}]
)
async def test_strict_switches(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops, buyer="PERSON")
    _shoes, _ring, mug = ids(order)
    body = {"items": [{"id": mug, "instances": [{"gtd": "10702070/010122/0000001"}]}]}
    response = await client.put(identifiers_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "COUNTRY_CODE_AND_GTD_ARE_REQUIRED_VALIDATION_ERROR",
                "Missing field items[0].instances[0].countryCode: it is required with gtd",
            )
        ),
    )
    body = {"items": [{"id": mug, "instances": [{"rnpt": "1/2/3/4"}]}]}
    response = await client.put(identifiers_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "INVALID_RNPT",
                "Value of field items[0].instances[0].rnpt ('1/2/3/4') must match the pattern: "
                "'^\\d{8}/\\d{6}/\\d{7}/\\d{3}$'",
            )
        ),
    )


@pytest.mark.rule("OQ-08")
async def test_only_in_processing(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops, status="DELIVERY", substatus="DELIVERY_SERVICE_RECEIVED")
    _shoes, _ring, mug = ids(order)
    response = await client.put(
        identifiers_path(shops, order), json={"items": [{"id": mug, "instances": []}]}
    )
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "INVALID_ORDER_STATUS",
                f"Order {order['id']} is in status DELIVERY; "
                "this method is allowed only in PROCESSING",
            )
        ),
    )


@pytest.mark.rule("R-025")
async def test_business_order_needs_its_codes_before_ready_to_ship(
    client: httpx.AsyncClient, shops: Shops
) -> None:
    order = await marked_order(shops)
    shoes, ring, _mug = ids(order)
    status = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    response = await client.put(f"{shops.path(order['id'])}/status", json=status)
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "TOO_FEW_CISES_FOR_ITEM",
                f"Order {order['id']} cannot move to READY_TO_SHIP: item {shoes} has 0 of 2 CIS "
                "codes; send them with PUT identifiers",
            ),
            (
                "TOO_FEW_UINS_FOR_ITEM",
                f"Order {order['id']} cannot move to READY_TO_SHIP: item {ring} has 0 of 1 UIN "
                "codes; send them with PUT identifiers",
            ),
        ),
    )
    body = {
        "items": [
            {"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]},
            {"id": ring, "instances": [{"uin": UIN_A}]},
        ]
    }
    assert (await client.put(identifiers_path(shops, order), json=body)).status_code == 200
    response = await client.put(f"{shops.path(order['id'])}/status", json=status)
    assert response.status_code == 200
    assert response.json()["order"]["substatus"] == "READY_TO_SHIP"


@pytest.mark.rule("R-025")
async def test_person_order_moves_without_codes(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops, buyer="PERSON")
    status = {"order": {"status": "DELIVERY", "substatus": "DELIVERY_SERVICE_RECEIVED"}}
    response = await client.put(f"{shops.path(order['id'])}/status", json=status)
    assert response.status_code == 200


@pytest.mark.rule("R-121", "OQ-12", "C-23")
async def test_identifiers_status(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops)
    shoes, ring, _mug = ids(order)
    path = f"{identifiers_path(shops, order)}/status"
    response = await client.post(path)
    assert (response.status_code, response.json()) == (
        200,
        {"status": "OK", "result": {"items": []}},
    )
    body = {
        "items": [
            {"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]},
            {"id": ring, "instances": [{"uin": UIN_A}]},
        ]
    }
    assert (await client.put(identifiers_path(shops, order), json=body)).status_code == 200
    response = await client.post(path)
    assert (response.status_code, response.json()) == (
        200,
        {
            "status": "OK",
            "result": {
                "items": [
                    {
                        "id": shoes,
                        "cis": [
                            {"value": CIS_A, "status": "NOT_ON_VALIDATION"},
                            {"value": CIS_B, "status": "NOT_ON_VALIDATION"},
                        ],
                    },
                    {"id": ring, "uin": [{"value": UIN_A, "status": "NOT_ON_VALIDATION"}]},
                ]
            },
        },
    )


@pytest.mark.rule("OQ-08")
@pytest.mark.parametrize("settings_overrides", [CONCURRENT])
async def test_simultaneous_identical_calls(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops)
    shoes, _ring, _mug = ids(order)
    body = {"items": [{"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]}]}
    responses = await asyncio.gather(
        *(client.put(identifiers_path(shops, order), json=body) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    items = (await client.get(shops.path(order["id"]))).json()["order"]["items"]
    assert items[0]["instances"] == [
        {"cis": CIS_A_SHORT, "cisFull": CIS_A},
        {"cis": CIS_B_SHORT, "cisFull": CIS_B},
    ]
