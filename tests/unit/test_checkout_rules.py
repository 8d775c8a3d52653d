"""Pure checkout rules: what the order takes from the store's POST /cart answer (OQ-16, OQ-20)
and how a late or unreadable answer is classed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from dbskit.contract.cart import CartAnswerBody
from dbskit.contract.checkout import CheckoutRequest
from dbskit.contract.enums import PaymentMethod, PaymentType
from dbskit.contract.errors import BasketUnavailable, StoreCallFailed, StoreCallTimedOut
from dbskit.market.domain.checkout import (
    StoreReply,
    cart_request,
    judge_reply,
    plan_order,
)

NOW = datetime(2030, 3, 2, 6, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8484/store/cart"


def basket(*lines: tuple[str, int], **extra: Any) -> CheckoutRequest:
    items = [{"feedId": 1, "offerId": offer, "count": count, "price": 10} for offer, count in lines]
    return CheckoutRequest.model_validate({"items": items, "regionId": 213, **extra})


def option(option_type: str = "DELIVERY", **extra: Any) -> dict[str, Any]:
    return {
        "price": 300,
        "serviceName": "Courier",
        "type": option_type,
        "dates": {"fromDate": "04-03-2030"},
        **extra,
    }


def answer(
    lines: list[tuple[str, int]], options: list[dict[str, Any]], methods: list[str] | None = None
) -> CartAnswerBody:
    return CartAnswerBody.model_validate(
        {
            "items": [{"feedId": 1, "offerId": offer, "count": count} for offer, count in lines],
            "deliveryOptions": options,
            "paymentMethods": methods or ["YANDEX"],
        }
    )


@pytest.mark.rule("R-047", "OQ-16")
@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_lines_of_one_offer_are_matched_in_order_and_capped_at_the_request() -> None:
    plan = plan_order(
        basket(("a", 2), ("a", 3), ("b", 1)),
        answer([("a", 5), ("a", 1), ("b", 0)], [option()]),
    )
    assert [(item.offer_id, count) for item, count in plan.lines] == [("a", 2), ("a", 1)]


@pytest.mark.rule("R-065", "OQ-20")
@pytest.mark.decision("Checkout through the store (OQ-16)")
@pytest.mark.parametrize(
    ("methods", "payment"),
    [
        (["CASH_ON_DELIVERY", "YANDEX"], (PaymentType.POSTPAID, PaymentMethod.CASH_ON_DELIVERY)),
        (
            ["B2B_ACCOUNT_POSTPAYMENT"],
            (PaymentType.POSTPAID, PaymentMethod.B2B_ACCOUNT_POSTPAYMENT),
        ),
        (["SBP", "CASH_ON_DELIVERY"], (PaymentType.PREPAID, PaymentMethod.SBP)),
        (["BITCOIN", "SHOP_PREPAID"], (PaymentType.PREPAID, PaymentMethod.UNKNOWN)),
    ],
)
def test_the_first_payment_method_an_order_can_carry(
    methods: list[str], payment: tuple[PaymentType, PaymentMethod]
) -> None:
    plan = plan_order(basket(("a", 1)), answer([("a", 1)], [option(paymentMethods=methods)]))
    assert (plan.payment.type, plan.payment.method) == payment


@pytest.mark.rule("R-065")
@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_the_carts_methods_serve_an_option_without_its_own() -> None:
    plan = plan_order(basket(("a", 1)), answer([("a", 1)], [option()], ["CARD_ON_DELIVERY"]))
    assert plan.payment.method is PaymentMethod.CARD_ON_DELIVERY


@pytest.mark.rule("OQ-16", "OQ-20")
@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_no_known_method_leaves_nothing_to_order() -> None:
    with pytest.raises(BasketUnavailable) as raised:
        plan_order(basket(("a", 1)), answer([("a", 1)], [option(paymentMethods=["BITCOIN"])]))
    assert str(raised.value) == (
        "The store's DELIVERY option allows no payment method an order can carry (OQ-20): BITCOIN"
    )


@pytest.mark.rule("R-058", "R-059")
@pytest.mark.decision("Checkout through the store (OQ-16)")
@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"fromDate": "04-03-2030"}, (date(2030, 3, 4), date(2030, 3, 4))),
        ({"fromDate": "04-03-2030", "toDate": "06-03-2030"}, (date(2030, 3, 4), date(2030, 3, 6))),
        (
            {
                "fromDate": "04-03-2030",
                "toDate": "06-03-2030",
                "intervals": [{"date": "05-03-2030", "fromTime": "10:00", "toTime": "14:00"}],
            },
            (date(2030, 3, 5), date(2030, 3, 5)),
        ),
    ],
)
def test_delivery_dates_come_from_the_option(
    dates: dict[str, Any], expected: tuple[date, date]
) -> None:
    plan = plan_order(basket(("a", 1)), answer([("a", 1)], [option(dates=dates)]))
    assert (plan.from_date, plan.to_date) == expected


@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_the_request_type_picks_the_option() -> None:
    options = [option(), option("POST", serviceName="Post")]
    plan = plan_order(basket(("a", 1), deliveryType="POST"), answer([("a", 1)], options))
    assert plan.option.service_name == "Post"


@pytest.mark.rule("R-041", "R-043", "R-044")
@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_the_request_names_the_region_tree_and_the_lines() -> None:
    body = cart_request(basket(("a", 2)), business_id=7).model_dump(
        by_alias=True, exclude_none=True
    )
    assert body["cart"]["businessId"] == 7
    assert body["cart"]["delivery"]["region"]["parent"]["parent"]["parent"] == {
        "id": 225,
        "name": "Россия",
        "type": "COUNTRY",
    }
    assert body["cart"]["items"] == [{"feedId": 1, "offerId": "a", "price": 10.0, "count": 2}]


@pytest.mark.rule("R-037", "OQ-16")
@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_an_answer_after_the_deadline_counts_as_none() -> None:
    reply = StoreReply(200, "application/json", b"{}", elapsed=5.6)
    with pytest.raises(StoreCallTimedOut) as raised:
        judge_reply(reply, url=URL, basket=basket(("a", 1)), deadline=5.5, now=NOW)
    assert [(e.code, e.message) for e in raised.value.errors] == [
        (
            "READ_TIMED_OUT",
            f"CANT_GET_RESPONSE / READ_TIMED_OUT: POST {URL}: no answer within 5.5 s (R-037)",
        )
    ]


@pytest.mark.rule("OQ-16")
@pytest.mark.decision("Checkout through the store (OQ-16)")
def test_a_store_error_without_the_oq18_body_is_named_by_its_status() -> None:
    reply = StoreReply(403, "text/plain", b"Forbidden", elapsed=0.1)
    with pytest.raises(StoreCallFailed) as raised:
        judge_reply(reply, url=URL, basket=basket(("a", 1)), deadline=5.5, now=NOW)
    assert raised.value.status == 502
    assert str(raised.value) == (
        f"CANT_GET_RESPONSE / HTTP: POST {URL}: the store answered 403 instead of 200"
    )
