"""The notification payloads in the official format (R-114) and the store's answers (R-115)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from dbskit.contract.notifications import (
    NOTIFICATION_ADAPTER,
    NotificationAccepted,
    order_cancellation_request,
    order_cancelled,
    order_created,
    order_status_updated,
    payload_json,
    ping,
)

AT = datetime(2017, 11, 21, 0, 0, 0, 213000, tzinfo=UTC)
MSK = timezone(timedelta(hours=3))


@pytest.mark.rule("R-114")
def test_order_created() -> None:
    notification = order_created(
        order_id=51, campaign_id=21, items=[("sku-1", 2), ("sku-2", 1)], created_at=AT
    )
    assert payload_json(notification) == {
        "notificationType": "ORDER_CREATED",
        "orderId": 51,
        "campaignId": 21,
        "items": [{"offerId": "sku-1", "count": 2}, {"offerId": "sku-2", "count": 1}],
        "createdAt": "2017-11-21T00:00:00.213000Z",
    }


@pytest.mark.rule("R-114")
def test_order_status_updated_keeps_the_offset() -> None:
    notification = order_status_updated(
        order_id=51,
        campaign_id=21,
        status="PROCESSING",
        substatus="READY_TO_SHIP",
        updated_at=datetime(2026, 1, 2, 10, 0, tzinfo=MSK),
    )
    assert payload_json(notification) == {
        "notificationType": "ORDER_STATUS_UPDATED",
        "orderId": 51,
        "campaignId": 21,
        "status": "PROCESSING",
        "substatus": "READY_TO_SHIP",
        "updatedAt": "2026-01-02T10:00:00+03:00",
    }


@pytest.mark.rule("R-114")
def test_order_cancelled_and_cancellation_request() -> None:
    assert payload_json(
        order_cancelled(order_id=5, campaign_id=2, items=[("a", 1)], cancelled_at=AT)
    ) == {
        "notificationType": "ORDER_CANCELLED",
        "orderId": 5,
        "campaignId": 2,
        "items": [{"offerId": "a", "count": 1}],
        "cancelledAt": "2017-11-21T00:00:00.213000Z",
    }
    assert payload_json(order_cancellation_request(order_id=5, campaign_id=2, requested_at=AT)) == {
        "notificationType": "ORDER_CANCELLATION_REQUEST",
        "orderId": 5,
        "campaignId": 2,
        "requestedAt": "2017-11-21T00:00:00.213000Z",
    }


@pytest.mark.rule("R-114", "R-117")
def test_ping_matches_the_documented_example() -> None:
    body = payload_json(ping(time=AT))
    assert body == {"notificationType": "PING", "time": "2017-11-21T00:00:00.213000Z"}
    assert NOTIFICATION_ADAPTER.validate_python(body) == ping(time=AT)


@pytest.mark.rule("R-114")
def test_payloads_read_back_by_their_type() -> None:
    notification = order_created(order_id=1, campaign_id=1, items=[("x", 3)], created_at=AT)
    assert NOTIFICATION_ADAPTER.validate_python(payload_json(notification)) == notification


@pytest.mark.rule("R-114")
@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda: order_created(
                order_id=1, campaign_id=1, items=[], created_at=datetime(2026, 1, 1)
            ),
            id="a time without offset",
        ),
        pytest.param(
            lambda: order_created(order_id=1, campaign_id=0, items=[], created_at=AT),
            id="campaign id below 1",
        ),
        pytest.param(
            lambda: order_cancelled(order_id=1, campaign_id=1, items=[(" ", 1)], cancelled_at=AT),
            id="an offerId of blanks",
        ),
        pytest.param(
            lambda: order_status_updated(
                order_id=1, campaign_id=1, status="", substatus="STARTED", updated_at=AT
            ),
            id="an empty status",
        ),
    ],
)
def test_builders_refuse_what_the_format_forbids(build: object) -> None:
    with pytest.raises(ValidationError):
        build()  # type: ignore[operator]


@pytest.mark.rule("R-115", "R-117")
def test_store_answer_of_the_documentation() -> None:
    answer = NotificationAccepted.model_validate_json(
        '{"version": "1.0.0", "name": "name", "time": "2025-01-16T10:09:49.759084017Z"}'
    )
    assert (answer.version, answer.name) == ("1.0.0", "name")
