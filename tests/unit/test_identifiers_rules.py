"""PUT identifiers: formats, counts, duplicates, status; the answer; R-025 in the status model.

R-025, R-028..R-035, R-121, C-09, C-10, OQ-07, OQ-08, OQ-09, OQ-12.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import from_json

from dbskit.contract.enums import BuyerType, InstanceType, OrderStatus, OrderSubstatus, Vat
from dbskit.contract.errors import BadRequest
from dbskit.contract.identifiers import (
    ProvideOrderItemIdentifiersRequest,
    ProvideOrderItemIdentifiersResponse,
)
from dbskit.http_answer import json_bytes
from dbskit.http_body import parse_json
from dbskit.market.domain.identifiers import (
    MarkingSwitches,
    check_marking_before_status,
    identifiers_answer,
    identifiers_status,
    provide_order_item_identifiers,
)
from dbskit.market.domain.marking import MarkingCode
from dbskit.market.domain.order import Order
from tests.unit._builders import item, order

CIS, UIN, RNPT, GTD = InstanceType.CIS, InstanceType.UIN, InstanceType.RNPT, InstanceType.GTD
CIS_A = "01030410947874432155Qbag!\x1d93Zjqw"
CIS_A_SHORT = "01030410947874432155Qbag!"
CIS_B = "(01)04600439930292(21)aaaaaaa\x1d(91)EE06\x1d(92)xyz"
CIS_B_SHORT = "010460043993029221aaaaaaa"
UIN_A = "1234567890123456"
RNPT_A = "10702070/010122/0000001/001"
GTD_A = "10702070/010122/0000001"

ORDER = order(item(1, 2, CIS), item(2, 1, UIN), item(3, 1))


def request(*items: tuple[int, list[dict[str, Any]]]) -> ProvideOrderItemIdentifiersRequest:
    body = {"items": [{"id": item_id, "instances": instances} for item_id, instances in items]}
    return parse_json(json.dumps(body).encode(), ProvideOrderItemIdentifiersRequest)


def decide(
    body: ProvideOrderItemIdentifiersRequest,
    *,
    target: Order = ORDER,
    stored: dict[int, tuple[MarkingCode, ...]] | None = None,
    switches: Mapping[str, bool] | None = None,
) -> dict[int, tuple[MarkingCode, ...]]:
    return provide_order_item_identifiers(
        target, body, stored=stored or {}, switches=MarkingSwitches(**(switches or {}))
    )


def errors_of(body: ProvideOrderItemIdentifiersRequest, **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(BadRequest) as caught:
        decide(body, **kwargs)
    return [(error.code, error.message) for error in caught.value.errors]


def cis(full: str, short: str) -> MarkingCode:
    return MarkingCode(CIS, full, cis=short)


@pytest.mark.rule("R-028", "R-030", "R-033", "OQ-07", "OQ-09")
def test_accepted_codes_replace_the_listed_items() -> None:
    body = request(
        (1, [{"cis": CIS_A}, {"cis": CIS_B}]),
        (2, [{"uin": UIN_A}]),
        (3, [{"gtd": GTD_A, "countryCode": "CN"}]),
    )
    assert decide(body) == {
        1: (cis(CIS_A, CIS_A_SHORT), cis(CIS_B, CIS_B_SHORT)),
        2: (MarkingCode(UIN, UIN_A),),
        3: (MarkingCode(GTD, GTD_A, country_code="CN"),),
    }


@pytest.mark.rule("OQ-07")
def test_items_not_requiring_marking_may_be_sent_or_emptied() -> None:
    assert decide(request((3, [{"rnpt": RNPT_A}]))) == {3: (MarkingCode(RNPT, RNPT_A),)}
    assert decide(request((3, []))) == {3: ()}


INSTANCE_ERRORS = [
    pytest.param(
        {"cis": "01030410947874432155Qbag!\\u001d93Zjqw"},
        {},
        [
            (
                "INVALID_CIS",
                "Value of field items[0].instances[0].cis must match the pattern: "
                "'^(?=.{1,256}$)\\u001D?(\\(?01\\)?\\d{14}\\(?21\\)?([!-~]{6,8}|[!-~]{13}|[!-~]{20})"
                "(\\u001D\\(?240\\)?.{1,30})?\\u001D\\(?9[1,3]\\)?.+)$' or, without the "
                "crypto-tail, "
                "'^(?=[!-~]{1,256}$)(\\(?01\\)?\\d{14}\\(?21\\)?(.{6,8}|.{13}|.{20}))$'",
            )
        ],
        id="R-032-doubled-backslash-is-invalid-cis",
    ),
    pytest.param(
        {"uin": "123456789012345"},
        {},
        [
            (
                "INVALID_UIN",
                "Value of field items[0].instances[0].uin ('123456789012345') must be a 16-digit "
                "number",
            )
        ],
        id="R-033-uin-15-digits",
    ),
    pytest.param(
        {"rnpt": "1/2/3"},
        {},
        [
            (
                "INVALID_RNPT",
                "Value of field items[0].instances[0].rnpt ('1/2/3') must be four numbers "
                "separated by '/'",
            )
        ],
        id="R-033-rnpt-three-groups",
    ),
    pytest.param(
        {"gtd": "1/2/3/4"},
        {},
        [
            (
                "INVALID_GTD",
                "Value of field items[0].instances[0].gtd ('1/2/3/4') must be three numbers "
                "separated by '/'",
            )
        ],
        id="R-033-gtd-four-groups",
    ),
    pytest.param(
        {"gtd": "1/2/3"},
        {"strict_widths": True},
        [
            (
                "INVALID_GTD",
                "Value of field items[0].instances[0].gtd ('1/2/3') must match the pattern: "
                "'^\\d{8}/\\d{6}/\\d{7}$'",
            )
        ],
        id="C-09-strict-gtd-widths",
    ),
    pytest.param(
        {"rnpt": "1/2/3/4"},
        {"strict_widths": True},
        [
            (
                "INVALID_RNPT",
                "Value of field items[0].instances[0].rnpt ('1/2/3/4') must match the pattern: "
                "'^\\d{8}/\\d{6}/\\d{7}/\\d{3}$'",
            )
        ],
        id="C-09-strict-rnpt-widths",
    ),
    pytest.param(
        {"gtd": GTD_A, "countryCode": "ru"},
        {},
        [
            (
                "INVALID_COUNTRY_CODE",
                "String (ru) is not a valid country code according to ISO 3166-1 alpha-2",
            )
        ],
        id="R-033-country-lowercase",
    ),
    pytest.param(
        {"gtd": GTD_A, "countryCode": "RUS"},
        {},
        [
            (
                "INVALID_COUNTRY_CODE",
                "String (RUS) is not a valid country code according to ISO 3166-1 alpha-2",
            )
        ],
        id="R-033-country-three-letters",
    ),
    pytest.param(
        {"gtd": GTD_A},
        {"strict_country_code": True},
        [
            (
                "COUNTRY_CODE_AND_GTD_ARE_REQUIRED_VALIDATION_ERROR",
                "Missing field items[0].instances[0].countryCode: it is required with gtd",
            )
        ],
        id="C-10-strict-country-with-gtd",
    ),
    pytest.param(
        {"uin": UIN_A, "gtd": GTD_A},
        {},
        [
            (
                "BAD_REQUEST",
                "Exactly one of fields cis, uin, rnpt, gtd must be set in items[0].instances[0]",
            )
        ],
        id="C-10-two-identifiers",
    ),
    pytest.param(
        {"countryCode": "RU"},
        {},
        [
            (
                "BAD_REQUEST",
                "Exactly one of fields cis, uin, rnpt, gtd must be set in items[0].instances[0]",
            )
        ],
        id="C-10-country-alone",
    ),
    pytest.param(
        {"uin": UIN_A, "countryCode": "RU"},
        {},
        [
            (
                "BAD_REQUEST",
                "Field items[0].instances[0].countryCode may accompany only gtd or rnpt",
            )
        ],
        id="C-10-country-with-uin",
    ),
]


@pytest.mark.rule("R-031", "R-032", "R-033", "C-09", "C-10")
@pytest.mark.parametrize(("instance", "switches", "expected"), INSTANCE_ERRORS)
def test_instance_rejected(
    instance: dict[str, Any], switches: dict[str, bool], expected: list[tuple[str, str]]
) -> None:
    assert errors_of(request((3, [instance])), switches=switches) == expected


@pytest.mark.rule("R-033", "C-09", "C-10")
@pytest.mark.parametrize(
    ("instance", "switches", "expected"),
    [
        pytest.param({"rnpt": "1/2/3/4"}, {}, MarkingCode(RNPT, "1/2/3/4"), id="C-09-shape-only"),
        pytest.param(
            {"rnpt": RNPT_A, "countryCode": "KZ"},
            {"strict_widths": True},
            MarkingCode(RNPT, RNPT_A, country_code="KZ"),
            id="C-09-strict-8-6-7-3",
        ),
        pytest.param(
            {"gtd": GTD_A, "countryCode": "RU"},
            {"strict_widths": True, "strict_country_code": True},
            MarkingCode(GTD, GTD_A, country_code="RU"),
            id="C-10-strict-gtd-with-country",
        ),
        pytest.param({"gtd": GTD_A}, {}, MarkingCode(GTD, GTD_A), id="C-10-gtd-without-country"),
    ],
)
def test_instance_accepted(
    instance: dict[str, Any], switches: dict[str, bool], expected: MarkingCode
) -> None:
    assert decide(request((3, [instance])), switches=switches) == {3: (expected,)}


@pytest.mark.rule("R-028", "OQ-07", "OQ-03")
@pytest.mark.parametrize(
    ("body", "stored", "expected"),
    [
        pytest.param(
            request((1, [{"cis": CIS_A}])),
            {},
            [("TOO_FEW_CISES_FOR_ITEM", "Item 1 needs 2 CIS codes, one per unit; 1 given")],
            id="too-few-cises",
        ),
        pytest.param(
            request((1, [{"cis": CIS_A}, {"cis": CIS_B}, {"cis": CIS_A_SHORT + "x"}])),
            {},
            [("TOO_MANY_CISES_FOR_ITEM", "Item 1 needs 2 CIS codes, one per unit; 3 given")],
            id="too-many-cises",
        ),
        pytest.param(
            request((2, [])),
            {},
            [("TOO_FEW_UINS_FOR_ITEM", "Item 2 needs 1 UIN codes, one per unit; 0 given")],
            id="too-few-uins",
        ),
        pytest.param(
            request((2, [{"uin": UIN_A}, {"uin": "6543210987654321"}])),
            {},
            [("TOO_MANY_UINS_FOR_ITEM", "Item 2 needs 1 UIN codes, one per unit; 2 given")],
            id="too-many-uins",
        ),
        pytest.param(
            request((3, [{"gtd": GTD_A}, {"gtd": GTD_A}])),
            {},
            [("BAD_REQUEST", "Item 3 needs 1 GTD codes, one per unit; 2 given")],
            id="more-gtds-than-units",
        ),
        pytest.param(
            request((1, [{"cis": CIS_A}, {"cis": CIS_A_SHORT}])),
            {},
            [
                (
                    "DUPLICATE_CIS",
                    "Value of field items[0].instances[1].cis repeats a CIS code already given "
                    "for item 1",
                )
            ],
            id="duplicate-cis-ignores-crypto-tail",
        ),
        pytest.param(
            request((3, [{"cis": CIS_A}])),
            {1: (cis(CIS_A, CIS_A_SHORT), cis(CIS_B, CIS_B_SHORT))},
            [
                (
                    "DUPLICATE_CIS",
                    "Value of field items[0].instances[0].cis repeats a CIS code already given "
                    "for item 1",
                )
            ],
            id="OQ-08-duplicate-of-kept-code",
        ),
        pytest.param(
            request((2, [{"uin": UIN_A}]), (3, [{"uin": UIN_A}])),
            {},
            [
                (
                    "DUPLICATE_UIN",
                    "Value of field items[1].instances[0].uin repeats a UIN code already given "
                    "for item 2",
                )
            ],
            id="duplicate-uin",
        ),
        pytest.param(
            request((3, []), (42, [{"uin": UIN_A}])),
            {},
            [
                (
                    "ITEM_NOT_FOUND",
                    "Item not found: '42' (field items[1].id) is not an item of order 1001",
                )
            ],
            id="OQ-07-unknown-item",
        ),
        pytest.param(
            request((3, []), (3, [])),
            {},
            [
                (
                    "BAD_REQUEST",
                    "Value of field items[1].id (3) repeats items[0].id: send one element per "
                    "item id",
                )
            ],
            id="repeated-item-id",
        ),
    ],
)
def test_counts_and_duplicates_rejected(
    body: ProvideOrderItemIdentifiersRequest,
    stored: dict[int, tuple[MarkingCode, ...]],
    expected: list[tuple[str, str]],
) -> None:
    assert errors_of(body, stored=stored) == expected


@pytest.mark.rule("OQ-08")
def test_replacing_an_item_frees_its_old_codes() -> None:
    stored: dict[int, tuple[MarkingCode, ...]] = {
        1: (cis(CIS_A, CIS_A_SHORT), cis(CIS_B, CIS_B_SHORT))
    }
    swapped = request((1, [{"cis": CIS_B}, {"cis": CIS_A}]))
    assert decide(swapped, stored=stored) == {1: (cis(CIS_B, CIS_B_SHORT), cis(CIS_A, CIS_A_SHORT))}


@pytest.mark.rule("OQ-08")
@pytest.mark.parametrize(
    "status",
    [
        pytest.param(status, id=status.value)
        for status in (OrderStatus.DELIVERY, OrderStatus.DELIVERED, OrderStatus.UNPAID)
    ],
)
def test_only_in_processing(status: OrderStatus) -> None:
    target = order(item(3, 1), status=status, substatus=None)
    assert errors_of(request((3, [])), target=target) == [
        (
            "INVALID_ORDER_STATUS",
            f"Order 1001 is in status {status}; this method is allowed only in PROCESSING",
        )
    ]


@pytest.mark.rule("R-081", "R-029")
def test_request_types() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_json(
            b'{"items": [{"id": "x", "instances": [{"cis": 5}]}, {"instances": {}}]}',
            ProvideOrderItemIdentifiersRequest,
        )
    assert [error.message for error in caught.value.errors] == [
        "Value of field items[0].id must be an integer",
        "Value of field items[0].instances[0].cis must be a string",
        "Missing field items[1].id",
        "Value of field items[1].instances must be an array",
    ]


@pytest.mark.rule("R-034", "OQ-09")
def test_answer_shape() -> None:
    codes = {
        1: (cis(CIS_A, CIS_A_SHORT), cis(CIS_B, CIS_B_SHORT)),
        2: (MarkingCode(UIN, UIN_A),),
        3: (),
    }
    answer = identifiers_answer(ORDER, codes, [1, 2, 3])
    assert from_json(json_bytes(answer)) == {
        "status": "OK",
        "result": {
            "items": [
                {
                    "id": 1,
                    "vat": "VAT_20",
                    "count": 2,
                    "price": 499.5,
                    "offerName": "Product 1",
                    "offerId": "offer-1",
                    "instances": [
                        {"cis": CIS_A_SHORT, "cisFull": CIS_A},
                        {"cis": CIS_B_SHORT, "cisFull": CIS_B},
                    ],
                },
                {
                    "id": 2,
                    "vat": "VAT_20",
                    "count": 1,
                    "price": 499.5,
                    "offerName": "Product 2",
                    "offerId": "offer-2",
                    "instances": [{"uin": UIN_A}],
                },
                {
                    "id": 3,
                    "vat": "VAT_20",
                    "count": 1,
                    "price": 499.5,
                    "offerName": "Product 3",
                    "offerId": "offer-3",
                },
            ]
        },
    }


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_CODES = st.one_of(
    st.builds(MarkingCode, st.just(CIS), _TEXT, st.one_of(st.none(), _TEXT)),
    st.builds(
        MarkingCode,
        st.sampled_from([UIN, RNPT, GTD]),
        _TEXT,
        st.none(),
        st.one_of(st.none(), st.text(max_size=2)),
    ),
)
_PRICES = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@pytest.mark.rule("R-034", "OQ-09")
@settings(max_examples=200, deadline=None)
@given(
    codes=st.lists(st.lists(_CODES, max_size=4), min_size=1, max_size=3),
    prices=st.lists(_PRICES, min_size=3, max_size=3),
    vat=st.sampled_from(list(Vat)),
    name=_TEXT,
)
def test_the_answer_reads_back_as_the_codes_and_prices_given(
    codes: list[list[MarkingCode]], prices: list[Decimal], vat: Vat, name: str
) -> None:
    """Whatever the codes and prices, the answer's JSON reads back, through the contract model,
    as each listed item with its price exactly and its codes in the order sent."""
    items = [
        item(index + 1, 3, offer_name=name, price=price, vat=vat)
        for index, price in enumerate(prices[: len(codes)])
    ]
    by_item = {index + 1: tuple(item_codes) for index, item_codes in enumerate(codes)}
    answer = identifiers_answer(order(*items), by_item, list(by_item))
    read = ProvideOrderItemIdentifiersResponse.model_validate_json(json_bytes(answer))
    assert [brief.id for brief in read.result.items] == list(by_item)
    for brief, stored, sent in zip(read.result.items, items, by_item.values(), strict=True):
        assert (brief.price, brief.vat, brief.offer_name) == (stored.price, vat, name)
        assert brief.instances == ([code.as_instance() for code in sent] or None)


BUSINESS = order(item(1, 2, CIS), item(2, 1, UIN), item(3, 1), buyer_type=BuyerType.BUSINESS)
COMPLETE = {1: (cis(CIS_A, CIS_A_SHORT), cis(CIS_B, CIS_B_SHORT)), 2: (MarkingCode(UIN, UIN_A),)}


@pytest.mark.rule("R-025")
@pytest.mark.parametrize(
    ("target", "codes", "status", "substatus", "expected"),
    [
        pytest.param(
            BUSINESS,
            {1: (cis(CIS_A, CIS_A_SHORT),)},
            OrderStatus.PROCESSING,
            OrderSubstatus.READY_TO_SHIP,
            [
                (
                    "TOO_FEW_CISES_FOR_ITEM",
                    "Order 1001 cannot move to READY_TO_SHIP: item 1 has 1 of 2 CIS codes; send "
                    "them with PUT identifiers",
                ),
                (
                    "TOO_FEW_UINS_FOR_ITEM",
                    "Order 1001 cannot move to READY_TO_SHIP: item 2 has 0 of 1 UIN codes; send "
                    "them with PUT identifiers",
                ),
            ],
            id="business-ready-to-ship-incomplete",
        ),
        pytest.param(
            BUSINESS,
            {2: (MarkingCode(UIN, UIN_A),)},
            OrderStatus.DELIVERY,
            OrderSubstatus.DELIVERY_SERVICE_RECEIVED,
            [
                (
                    "TOO_FEW_CISES_FOR_ITEM",
                    "Order 1001 cannot move to DELIVERY: item 1 has 0 of 2 CIS codes; send them "
                    "with PUT identifiers",
                ),
            ],
            id="business-delivery-incomplete",
        ),
        pytest.param(BUSINESS, COMPLETE, OrderStatus.DELIVERY, None, [], id="business-complete"),
        pytest.param(
            ORDER, {}, OrderStatus.PROCESSING, OrderSubstatus.READY_TO_SHIP, [], id="person-free"
        ),
        pytest.param(
            BUSINESS,
            {},
            OrderStatus.CANCELLED,
            OrderSubstatus.SHOP_FAILED,
            [],
            id="business-cancel-not-gated",
        ),
    ],
)
def test_marking_before_status(
    target: Order,
    codes: dict[int, tuple[MarkingCode, ...]],
    status: OrderStatus,
    substatus: OrderSubstatus | None,
    expected: list[tuple[str, str]],
) -> None:
    if not expected:
        check_marking_before_status(target, codes, status=status, substatus=substatus)
        return
    with pytest.raises(BadRequest) as caught:
        check_marking_before_status(target, codes, status=status, substatus=substatus)
    assert [(error.code, error.message) for error in caught.value.errors] == expected


@pytest.mark.rule("R-121", "OQ-12", "C-23")
def test_identifiers_status_reports_not_on_validation() -> None:
    codes = {**COMPLETE, 3: (MarkingCode(GTD, GTD_A),)}
    answer = identifiers_status(ORDER, codes)
    assert answer.model_dump(mode="json", by_alias=True, exclude_none=True) == {
        "status": "OK",
        "result": {
            "items": [
                {
                    "id": 1,
                    "cis": [
                        {"value": CIS_A, "status": "NOT_ON_VALIDATION"},
                        {"value": CIS_B, "status": "NOT_ON_VALIDATION"},
                    ],
                },
                {"id": 2, "uin": [{"value": UIN_A, "status": "NOT_ON_VALIDATION"}]},
            ]
        },
    }
    assert identifiers_status(ORDER, {}).model_dump(mode="json") == {
        "status": "OK",
        "result": {"items": []},
    }
