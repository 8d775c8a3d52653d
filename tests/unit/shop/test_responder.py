"""The /cart responder on the demo store, whole answers compared, one rule per case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from dbskit.shop.cart import answer_cart
from tests.cart_factories import (
    DIGITAL_OPTION_MONDAY,
    KAZAN,
    KHIMKI,
    MINSK,
    MONDAY_10_MSK,
    MOSCOW,
    MOSCOW_OPTIONS,
    MSK_PAYMENTS,
    ST_PETERSBURG,
    TVERSKOY,
    answer,
    answer_line,
    cart_request,
    demo_store,
    line,
)


def respond(chain: list[int], *lines: dict[str, Any], now: datetime = MONDAY_10_MSK) -> Any:
    result = answer_cart(cart_request(chain, *lines), demo_store(), now)
    return result.model_dump(by_alias=True, exclude_none=True, mode="json")


SPB_OPTIONS: list[dict[str, Any]] = [
    {
        "id": "courier-spb",
        "price": 349.0,
        "serviceName": "Курьер по Санкт-Петербургу",
        "type": "DELIVERY",
        "dates": {
            "fromDate": "25-11-2026",
            "toDate": "26-11-2026",
            "intervals": [
                {"date": day, "fromTime": start, "toTime": end}
                for day, start, end in [
                    ("25-11-2026", "09:00", "13:00"),
                    ("25-11-2026", "13:00", "17:00"),
                    ("25-11-2026", "17:00", "21:00"),
                    ("25-11-2026", "21:00", "23:59"),
                    ("26-11-2026", "09:00", "13:00"),
                    ("26-11-2026", "13:00", "17:00"),
                    ("26-11-2026", "17:00", "21:00"),
                ]
            ],
        },
        "paymentMethods": ["YANDEX", "CARD_ON_DELIVERY"],
    },
    {
        "id": "pickup-spb",
        "price": 0.0,
        "serviceName": "Пункты выдачи в Санкт-Петербурге",
        "type": "PICKUP",
        "dates": {"fromDate": "25-11-2026", "toDate": "28-11-2026"},
        "outlets": [{"code": "SPB-NEVSKY-30"}],
        "paymentMethods": ["YANDEX", "CARD_ON_DELIVERY"],
    },
    {
        "id": "pickup-spb+2d",
        "price": 0.0,
        "serviceName": "Пункты выдачи в Санкт-Петербурге",
        "type": "PICKUP",
        "dates": {"fromDate": "27-11-2026", "toDate": "30-11-2026"},
        "outlets": [{"code": "SPB-KUPCHINO-5"}],
        "paymentMethods": ["YANDEX", "CARD_ON_DELIVERY"],
    },
    MOSCOW_OPTIONS[3],
]
SPB_PAYMENTS = ["YANDEX", "CARD_ON_DELIVERY"]


@pytest.mark.rule(
    "R-045",
    "R-046",
    "R-047",
    "R-052",
    "R-053",
    "R-054",
    "R-055",
    "R-057",
    "R-059",
    "R-060",
    "R-063",
    "R-065",
    "C-14",
)
def test_moscow_basket_in_stock() -> None:
    assert respond(MOSCOW, line("phone-nova-x1", 2)) == answer(
        [answer_line("phone-nova-x1", 2)], MOSCOW_OPTIONS, MSK_PAYMENTS
    )


@pytest.mark.rule("R-047")
@pytest.mark.parametrize(
    ("offer_id", "asked", "answered"),
    [
        pytest.param("kettle-aqua-17", 3, 3, id="exactly-the-stock"),
        pytest.param("kettle-aqua-17", 4, 3, id="one-over-the-stock-gives-the-stock"),
        pytest.param("kettle-aqua-17", 1, 1, id="less-than-the-stock"),
        pytest.param("ereader-page-6", 1, 0, id="out-of-stock"),
        pytest.param("radio-retro", 1, 0, id="not-available"),
    ],
)
def test_counts(offer_id: str, asked: int, answered: int) -> None:
    body = respond(MOSCOW, line("phone-nova-x1"), line(offer_id, asked))
    assert body["cart"]["items"] == [
        answer_line("phone-nova-x1", 1),
        answer_line(offer_id, answered),
    ]


@pytest.mark.rule("R-047", "R-046")
def test_unknown_offer_and_foreign_feed_are_count_zero_without_delivery() -> None:
    body = respond(
        MOSCOW, line("phone-nova-x1"), line("no-such-offer"), line("phone-nova-x1", feed_id=7)
    )
    assert body["cart"]["items"] == [
        answer_line("phone-nova-x1", 1),
        {"feedId": 200100, "offerId": "no-such-offer", "count": 0},
        {"feedId": 7, "offerId": "phone-nova-x1", "count": 0},
    ]


@pytest.mark.rule("R-047")
def test_lines_of_one_offer_share_its_stock() -> None:
    body = respond(MOSCOW, line("kettle-aqua-17", 2), line("kettle-aqua-17", 2))
    assert body["cart"]["items"] == [
        answer_line("kettle-aqua-17", 2),
        answer_line("kettle-aqua-17", 1),
    ]


@pytest.mark.rule("R-050")
def test_nothing_on_sale_gives_empty_items() -> None:
    body = respond(MOSCOW, line("ereader-page-6"), line("no-such-offer", 3))
    assert body == answer([], [], [])


@pytest.mark.rule("R-046", "R-044")
def test_offer_id_is_echoed_as_sent_and_matched_without_surrounding_spaces() -> None:
    sent = line(" phone-nova-x1 ", 1, feedCategoryId="12", offerName="Nova", price=24990.0)
    assert respond(MOSCOW, sent)["cart"]["items"] == [answer_line(" phone-nova-x1 ", 1)]


@pytest.mark.rule("R-048", "R-057", "R-059", "R-060", "R-063", "C-14")
def test_line_not_deliverable_to_the_region_is_delivery_false() -> None:
    assert respond(ST_PETERSBURG, line("phone-nova-x1"), line("sofa-oslo-3")) == answer(
        [answer_line("phone-nova-x1", 1), answer_line("sofa-oslo-3", 1, delivery=False)],
        SPB_OPTIONS,
        SPB_PAYMENTS,
    )


@pytest.mark.rule("R-048")
def test_restricted_offer_travels_within_its_region() -> None:
    body = respond(KHIMKI, line("sofa-oslo-3", 2))
    assert body["cart"]["items"] == [answer_line("sofa-oslo-3", 2)]


@pytest.mark.rule("R-049")
def test_region_not_served_gives_no_options_and_no_delivery_flags() -> None:
    assert respond(MINSK, line("phone-nova-x1"), line("kettle-aqua-17", 9)) == answer(
        [
            answer_line("phone-nova-x1", 1, delivery=None),
            answer_line("kettle-aqua-17", 3, delivery=None),
        ],
        [],
        [],
    )


@pytest.mark.rule("R-049", "R-048")
def test_only_undeliverable_lines_means_region_not_served() -> None:
    body = respond(ST_PETERSBURG, line("sofa-oslo-3"))
    assert body == answer([answer_line("sofa-oslo-3", 1, delivery=None)], [], [])


@pytest.mark.rule("OQ-21", "R-066")
def test_digital_basket_gets_the_digital_option_anywhere() -> None:
    assert respond(MINSK, line("game-key-north"), line("ebook-python-basics", 2)) == answer(
        [answer_line("game-key-north", 1), answer_line("ebook-python-basics", 2)],
        [DIGITAL_OPTION_MONDAY],
        ["YANDEX"],
    )


@pytest.mark.rule("OQ-21", "R-048")
def test_mixed_basket_ships_physical_goods_and_refuses_digital_lines() -> None:
    assert respond(MOSCOW, line("phone-nova-x1"), line("game-key-north")) == answer(
        [answer_line("phone-nova-x1", 1), answer_line("game-key-north", 1, delivery=False)],
        MOSCOW_OPTIONS,
        MSK_PAYMENTS,
    )


@pytest.mark.rule("OQ-21", "R-048")
def test_mixed_basket_where_nothing_ships_gets_the_digital_option() -> None:
    assert respond(MINSK, line("phone-nova-x1"), line("game-key-north")) == answer(
        [answer_line("phone-nova-x1", 1, delivery=False), answer_line("game-key-north", 1)],
        [DIGITAL_OPTION_MONDAY],
        ["YANDEX"],
    )


@pytest.mark.rule("R-063")
def test_outlets_of_the_region_and_those_registered_above_it() -> None:
    options = respond(TVERSKOY, line("phone-nova-x1"))["cart"]["deliveryOptions"]
    pickups = [option for option in options if option["type"] == "PICKUP"]
    assert pickups == [
        {
            **MOSCOW_OPTIONS[1],
            "outlets": [{"code": "MSK-TVERSKAYA-12"}, {"code": "MSK-CENTER-2"}, {"code": "MSK-1"}],
        }
    ]


@pytest.mark.rule("R-059", "C-15")
def test_courier_without_intervals_sends_only_from_date() -> None:
    options = respond(KHIMKI, line("phone-nova-x1"))["cart"]["deliveryOptions"]
    assert options == [
        {
            "id": "courier-mo",
            "price": 499.0,
            "serviceName": "Курьер по Московской области",
            "type": "DELIVERY",
            "dates": {"fromDate": "25-11-2026"},
            "paymentMethods": ["YANDEX", "CARD_ON_DELIVERY"],
        },
        MOSCOW_OPTIONS[3],
    ]


@pytest.mark.rule("R-053", "R-059")
def test_service_id_is_sent_when_the_rule_has_one() -> None:
    options = respond(KAZAN, line("phone-nova-x1"))["cart"]["deliveryOptions"]
    assert options[0] == {
        "id": "courier-kazan",
        "price": 390.0,
        "deliveryServiceId": 51,
        "serviceName": "Курьерская служба СДЭК",
        "type": "DELIVERY",
        "dates": {"fromDate": "26-11-2026"},
        "paymentMethods": ["YANDEX"],
    }


@pytest.mark.rule("R-063")
def test_a_district_the_store_does_not_list_keeps_its_own_outlets_beside_its_city() -> None:
    """Asked in turn, the city and a district below it that the store does not list each get
    their own outlets: only those registered for the city and above for the district."""
    district = [99_999_999, *MOSCOW]
    asked = [MOSCOW, district, MOSCOW, district]
    pickups = [
        [
            (option["id"], [outlet["code"] for outlet in option["outlets"]])
            for option in respond(chain, line("phone-nova-x1"))["cart"]["deliveryOptions"]
            if option["type"] == "PICKUP"
        ]
        for chain in asked
    ]
    moscow = [
        ("pickup-msk", ["MSK-TVERSKAYA-12", "MSK-CENTER-2", "MSK-1"]),
        ("pickup-msk+1d", ["MSK-SOUTH-7"]),
    ]
    assert pickups == [moscow, [("pickup-msk", ["MSK-1"])], moscow, [("pickup-msk", ["MSK-1"])]]
