"""deliverDigitalGoods rules: digital orders only, status, items, key counts, repeats, the window.

R-007, R-009, R-012, OQ-01..OQ-04.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from dbskit.contract import limits
from dbskit.contract.digital_goods import DigitalGoodsSubmission, DigitalItemKeys, KeyBatch
from dbskit.contract.enums import DeliveryType, OrderStatus, OrderSubstatus
from dbskit.contract.errors import BadRequest
from dbskit.market.domain.digital_goods import (
    DigitalAction,
    DigitalDecision,
    DigitalSwitches,
    PreviousKeys,
    keys_deadline,
    provide_order_digital_codes,
)
from dbskit.market.domain.order import Order
from tests.unit._builders import NOW, digital_order, item

ORDER = digital_order(item(1, 2), item(2, 1))


def keys(*groups: tuple[int, tuple[str, ...]]) -> DigitalGoodsSubmission:
    return DigitalGoodsSubmission(
        tuple(
            DigitalItemKeys(item_id, (KeyBatch(codes, "slip", date(2030, 1, 1)),), index)
            for index, (item_id, codes) in enumerate(groups)
        )
    )


FULL = keys((1, ("a", "b")), (2, ("c",)))


def decide(
    order: Order = ORDER,
    submission: DigitalGoodsSubmission = FULL,
    *,
    previous: PreviousKeys | None = None,
    now: Any = NOW,
    **switches: bool,
) -> DigitalDecision:
    return provide_order_digital_codes(
        order, submission, previous=previous, now=now, switches=DigitalSwitches(**switches)
    )


def rejection(**kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(BadRequest) as caught:
        decide(**kwargs)
    return [(error.code, error.message) for error in caught.value.errors]


@pytest.mark.rule("R-012", "OQ-03", "OQ-01")
@pytest.mark.parametrize(
    ("order", "expected"),
    [
        pytest.param(
            digital_order(item(1, 2), item(2, 1), delivery_type=DeliveryType.DELIVERY),
            [
                (
                    "BAD_REQUEST",
                    "Order 1001 has delivery type DELIVERY; keys are accepted only for DIGITAL "
                    "orders",
                )
            ],
            id="OQ-03-not-digital",
        ),
        pytest.param(
            digital_order(item(1, 2), item(2, 1), status=OrderStatus.DELIVERED),
            [("ORDER_IN_TERMINAL_STATE", "Order is in terminal state: order 1001 is DELIVERED")],
            id="OQ-01-delivered",
        ),
        pytest.param(
            digital_order(
                item(1, 2),
                item(2, 1),
                status=OrderStatus.CANCELLED,
                substatus=OrderSubstatus.SHOP_FAILED,
            ),
            [("ORDER_IN_TERMINAL_STATE", "Order is in terminal state: order 1001 is CANCELLED")],
            id="OQ-01-cancelled",
        ),
        pytest.param(
            digital_order(item(1, 2), item(2, 1), status=OrderStatus.UNPAID, substatus=None),
            [
                (
                    "INVALID_ORDER_STATUS",
                    "Order 1001 is in status UNPAID; this method is allowed only in PROCESSING",
                )
            ],
            id="OQ-03-not-processing",
        ),
    ],
)
def test_order_rejected(order: Order, expected: list[tuple[str, str]]) -> None:
    assert rejection(order=order) == expected


@pytest.mark.rule("OQ-02", "OQ-03", "R-007")
@pytest.mark.parametrize(
    ("submission", "lenient", "expected"),
    [
        pytest.param(
            keys((1, ("a", "b")), (2, ("c",)), (9, ("z",))),
            False,
            [
                (
                    "ITEM_NOT_FOUND",
                    "Item not found: '9' (field items[2].id) is not an item of order 1001",
                )
            ],
            id="OQ-03-unknown-item",
        ),
        pytest.param(
            keys((1, ("a",)), (2, ("c",))),
            False,
            [("BAD_REQUEST", "Item 1 of order 1001 needs 2 keys, 1 given")],
            id="OQ-02-too-few",
        ),
        pytest.param(
            keys((1, ("a", "b", "x")), (2, ("c",))),
            False,
            [("BAD_REQUEST", "Item 1 of order 1001 needs 2 keys, 3 given")],
            id="OQ-02-too-many",
        ),
        pytest.param(
            keys((1, ("a", "b"))),
            False,
            [("BAD_REQUEST", "Item 2 of order 1001 needs 1 keys, 0 given")],
            id="R-007-item-left-out",
        ),
        pytest.param(
            keys((1, ("a",))),
            True,
            [
                ("BAD_REQUEST", "Item 1 of order 1001 needs at least 2 keys, 1 given"),
                ("BAD_REQUEST", "Item 2 of order 1001 needs at least 1 keys, 0 given"),
            ],
            id="OQ-02-lenient-still-needs-every-unit",
        ),
    ],
)
def test_keys_rejected(
    submission: DigitalGoodsSubmission, lenient: bool, expected: list[tuple[str, str]]
) -> None:
    assert rejection(submission=submission, lenient_key_counts=lenient) == expected


@pytest.mark.rule("OQ-02")
def test_lenient_accepts_more_keys_than_units() -> None:
    submission = keys((1, ("a", "b", "x")), (2, ("c", "y")))
    assert decide(submission=submission, lenient_key_counts=True) == DigitalDecision(
        DigitalAction.STORE
    )


@pytest.mark.rule("OQ-01")
@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        pytest.param(None, DigitalDecision(DigitalAction.STORE), id="first-call"),
        pytest.param(
            PreviousKeys(FULL.digest(), emailed=False),
            DigitalDecision(DigitalAction.UNCHANGED),
            id="identical-repeat",
        ),
        pytest.param(
            PreviousKeys(FULL.digest(), emailed=True),
            DigitalDecision(DigitalAction.UNCHANGED),
            id="identical-repeat-after-email",
        ),
        pytest.param(
            PreviousKeys(keys((1, ("x", "y")), (2, ("z",))).digest(), emailed=False),
            DigitalDecision(DigitalAction.STORE, replaces=True),
            id="different-payload-replaces",
        ),
    ],
)
def test_repeats(previous: PreviousKeys | None, expected: DigitalDecision) -> None:
    assert decide(previous=previous) == expected


@pytest.mark.rule("OQ-01")
def test_different_keys_after_the_email_are_refused() -> None:
    previous = PreviousKeys(keys((1, ("x", "y")), (2, ("z",))).digest(), emailed=True)
    assert rejection(previous=previous) == [
        (
            "BAD_REQUEST",
            "The keys of order 1001 were already e-mailed to the buyer and cannot be replaced",
        )
    ]


WINDOW = limits.DIGITAL_CODES_WINDOW
TICK = timedelta(microseconds=1)


@pytest.mark.rule("R-009", "OQ-04")
@pytest.mark.parametrize(
    ("now", "cancel", "expected"),
    [
        pytest.param(NOW, False, DigitalDecision(DigitalAction.STORE), id="at-once"),
        pytest.param(NOW + WINDOW, False, DigitalDecision(DigitalAction.STORE), id="at-30-min"),
        pytest.param(
            NOW + WINDOW + TICK,
            False,
            DigitalDecision(DigitalAction.STORE, late_by=TICK),
            id="OQ-04-late-accepted-and-flagged",
        ),
        pytest.param(
            NOW + WINDOW, True, DigitalDecision(DigitalAction.STORE), id="at-30-min-with-cancel"
        ),
        pytest.param(
            NOW + WINDOW + timedelta(minutes=5),
            True,
            DigitalDecision(DigitalAction.CANCEL, late_by=timedelta(minutes=5)),
            id="OQ-04-late-cancelled",
        ),
    ],
)
def test_thirty_minute_window(now: Any, cancel: bool, expected: DigitalDecision) -> None:
    assert decide(now=now, cancel_late_digital=cancel) == expected


@pytest.mark.rule("R-009")
def test_window_counts_from_processing() -> None:
    entered = NOW - timedelta(hours=2)
    order = digital_order(item(1, 2), item(2, 1), processing_since=entered)
    assert keys_deadline(order) == entered + timedelta(minutes=30)
    assert decide(order=order).late_by == timedelta(hours=1, minutes=30)
