"""delivery/track: request shape, the directory, allowed statuses, repeats (R-018, R-019, OQ-06)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from dbskit.contract.enums import OrderStatus, OrderSubstatus
from dbskit.contract.errors import BadRequest
from dbskit.contract.tracking import SetOrderDeliveryTrackCodeRequest
from dbskit.http_body import parse_json
from dbskit.market.domain.order import Order, Track
from dbskit.market.domain.tracking import TrackAction, set_order_delivery_track_code
from tests.unit._builders import order

SERVICES = frozenset({51, 106})
REQUEST = SetOrderDeliveryTrackCodeRequest(track_code="RA123456789RU", delivery_service_id=51)


def decide(
    target: Order | None = None,
    request: SetOrderDeliveryTrackCodeRequest = REQUEST,
    *,
    current: Track | None = None,
    used: bool = False,
    strict: bool = False,
) -> TrackAction:
    return set_order_delivery_track_code(
        replace(target or order(), track=current),
        request,
        delivery_services=SERVICES,
        used_by_another_order=used,
        strict_track_codes=strict,
    )


def errors_of(**kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(BadRequest) as caught:
        decide(**kwargs)
    return [(error.code, error.message) for error in caught.value.errors]


@pytest.mark.rule("R-018", "R-081")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {},
            ["Missing field trackCode", "Missing field deliveryServiceId"],
            id="both-missing",
        ),
        pytest.param({"trackCode": "X"}, ["Missing field deliveryServiceId"], id="service-missing"),
        pytest.param(
            {"trackCode": 5, "deliveryServiceId": "abc"},
            [
                "Value of field trackCode must be a string",
                "Value of field deliveryServiceId must be an integer",
            ],
            id="wrong-types",
        ),
        pytest.param(
            {"trackCode": "X", "deliveryServiceId": 2**63},
            [
                "Value / length of field deliveryServiceId (9223372036854775808) must be less "
                "than or equal to 9223372036854775807"
            ],
            id="service-over-int64",
        ),
    ],
)
def test_request_rejected(body: Any, expected: list[str]) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_json(json.dumps(body).encode(), SetOrderDeliveryTrackCodeRequest)
    assert [error.message for error in caught.value.errors] == expected


@pytest.mark.rule("R-018")
def test_request_accepted() -> None:
    body = b'{"trackCode": "RA123456789RU", "deliveryServiceId": 51}'
    assert parse_json(body, SetOrderDeliveryTrackCodeRequest) == REQUEST


@pytest.mark.rule("R-019")
@pytest.mark.parametrize(
    ("status", "substatus"),
    [
        pytest.param(OrderStatus.PROCESSING, OrderSubstatus.STARTED, id="processing"),
        pytest.param(OrderStatus.PROCESSING, OrderSubstatus.READY_TO_SHIP, id="ready-to-ship"),
        pytest.param(OrderStatus.DELIVERY, OrderSubstatus.DELIVERY_SERVICE_RECEIVED, id="delivery"),
        pytest.param(OrderStatus.PICKUP, OrderSubstatus.PICKUP_SERVICE_RECEIVED, id="pickup"),
    ],
)
def test_allowed_statuses(status: OrderStatus, substatus: OrderSubstatus) -> None:
    assert decide(order(status=status, substatus=substatus)) is TrackAction.SET


@pytest.mark.rule("R-019")
@pytest.mark.parametrize(
    "status",
    [
        pytest.param(status, id=status.value)
        for status in (
            OrderStatus.UNPAID,
            OrderStatus.PENDING,
            OrderStatus.DELIVERED,
            OrderStatus.CANCELLED,
            OrderStatus.RESERVED,
        )
    ],
)
def test_other_statuses_rejected(status: OrderStatus) -> None:
    assert errors_of(target=order(status=status, substatus=None)) == [
        (
            "INVALID_ORDER_STATUS",
            f"Order 1001 is in status {status}; this method is allowed only in PROCESSING, "
            "DELIVERY, PICKUP",
        )
    ]


@pytest.mark.rule("R-018", "OQ-06")
def test_unknown_delivery_service() -> None:
    request = SetOrderDeliveryTrackCodeRequest(track_code="T", delivery_service_id=999)
    assert errors_of(request=request) == [
        (
            "BAD_REQUEST",
            "Value of field deliveryServiceId (999) is not a delivery service listed by "
            "GET v2/delivery/services",
        )
    ]


@pytest.mark.rule("OQ-06")
@pytest.mark.parametrize(
    ("current", "used", "strict", "expected"),
    [
        pytest.param(None, False, False, TrackAction.SET, id="first-track"),
        pytest.param(Track("OLD", 51), False, False, TrackAction.SET, id="new-track-replaces"),
        pytest.param(Track("RA123456789RU", 106), False, False, TrackAction.SET, id="new-service"),
        pytest.param(
            Track("RA123456789RU", 51), False, False, TrackAction.UNCHANGED, id="same-track"
        ),
        pytest.param(None, True, False, TrackAction.SET, id="used-elsewhere-not-strict"),
    ],
)
def test_repeats(current: Track | None, used: bool, strict: bool, expected: TrackAction) -> None:
    assert decide(current=current, used=used, strict=strict) is expected


@pytest.mark.rule("OQ-06", "R-022")
def test_used_elsewhere_rejected_in_strict_mode() -> None:
    assert errors_of(used=True, strict=True) == [
        (
            "TRACK_CODE_ALREADY_USED",
            "Track code 'RA123456789RU' is already used by another order of campaign 21",
        )
    ]
