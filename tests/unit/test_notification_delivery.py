"""Pure notification rules: the R-116 schedule, judging answers (R-115), the target (R-113)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dbskit.contract import limits
from dbskit.contract.notifications import DeliveryErrorSubtype, DeliveryErrorType
from dbskit.contract.outbox import AttemptResult
from dbskit.market.domain.notification_delivery import (
    PLAIN_HTTP_NOT_LOOPBACK,
    next_attempt_at,
    refuse_target,
)
from dbskit.notification_answers import Verdict, judge_answer, notification_endpoint

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def every_attempt(factor: float = 1.0) -> list[timedelta]:
    offsets = [timedelta(0)]
    due: datetime | None = CREATED
    while due is not None:
        due = next_attempt_at(created_at=CREATED, previous_due=due, factor=factor)
        if due is not None:
            offsets.append(due - CREATED)
    return offsets


@pytest.mark.rule("R-116")
@pytest.mark.decision("Notifications")
@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        pytest.param(timedelta(0), MINUTE, id="first retry a minute after the first attempt"),
        pytest.param(59 * MINUTE, HOUR, id="last one-minute step ends at one hour"),
        pytest.param(HOUR, HOUR + 15 * MINUTE, id="from one hour on: every 15 minutes"),
        pytest.param(DAY - 15 * MINUTE, DAY, id="last 15-minute step ends at one day"),
        pytest.param(DAY, DAY + HOUR, id="from one day on: hourly"),
        pytest.param(14 * DAY - 2 * HOUR, 14 * DAY - HOUR, id="last hourly attempt"),
        pytest.param(14 * DAY - HOUR, None, id="nothing at 14 days: give up"),
        pytest.param(DAY + 30 * MINUTE, DAY + 90 * MINUTE, id="steps follow the scheduled time"),
    ],
)
def test_next_attempt_follows_r116(previous: timedelta, expected: timedelta | None) -> None:
    due = next_attempt_at(created_at=CREATED, previous_due=CREATED + previous)
    assert due == (None if expected is None else CREATED + expected)


@pytest.mark.rule("R-116")
@pytest.mark.decision("Notifications")
def test_whole_schedule_without_success() -> None:
    offsets = every_attempt()
    first_hour = [n * MINUTE for n in range(61)]
    first_day = [HOUR + n * 15 * MINUTE for n in range(1, 93)]
    after = [DAY + n * HOUR for n in range(1, 312)]
    assert offsets == first_hour + first_day + after
    assert len(offsets) == 464
    assert offsets[-1] == limits.NOTIFICATION_GIVE_UP_AFTER - HOUR


@pytest.mark.rule("OQ-25")
@pytest.mark.decision("Notifications")
def test_time_factor_scales_every_figure() -> None:
    assert every_attempt(0.01) == [offset * 0.01 for offset in every_attempt()]


@pytest.mark.rule("R-113")
@pytest.mark.decision("Notifications")
def test_endpoint_appends_the_notification_path() -> None:
    assert notification_endpoint("https://shop.example") == "https://shop.example/notification"
    assert notification_endpoint("https://shop.example/api/") == (
        "https://shop.example/api/notification"
    )


@pytest.mark.rule("R-113")
@pytest.mark.decision("Notifications")
@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/notification",
        "http://127.0.0.1:8080/notification",
        "http://localhost/notification",
        "http://[::1]:9000/notification",
    ],
)
def test_allowed_targets(url: str) -> None:
    assert refuse_target(url) is None


@pytest.mark.rule("R-113")
@pytest.mark.decision("Notifications")
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://shop.example/notification", PLAIN_HTTP_NOT_LOOPBACK),
        ("http://10.0.0.1/notification", PLAIN_HTTP_NOT_LOOPBACK),
        (
            "ftp://127.0.0.1/notification",
            "The notification URL 'ftp://127.0.0.1/notification' is not an absolute http or "
            "https URL",
        ),
        (
            "shop.example/notification",
            "The notification URL 'shop.example/notification' is not an absolute http or https URL",
        ),
    ],
)
def test_refused_targets_fail_for_good(url: str, message: str) -> None:
    assert refuse_target(url) == Verdict(
        AttemptResult.FAILED,
        retry=False,
        error_type=DeliveryErrorType.CANT_GET_RESPONSE,
        error_subtype=DeliveryErrorSubtype.SSL_ERROR,
        message=message,
    )


GOOD = json.dumps({"version": "1.0.0", "name": "name", "time": "2025-01-16T10:09:49.759Z"})
CANT = DeliveryErrorType.CANT_GET_RESPONSE
INVALID = DeliveryErrorType.INVALID_RESPONSE
Sub = DeliveryErrorSubtype


@pytest.mark.rule("R-069", "R-115")
@pytest.mark.decision("Notifications")
@pytest.mark.parametrize(
    ("status", "content_type", "body", "expected"),
    [
        pytest.param(
            200,
            "application/json; charset=utf-8",
            GOOD,
            Verdict(AttemptResult.DELIVERED, retry=False, http_status=200),
            id="200 with the documented body",
        ),
        pytest.param(
            400,
            "application/json",
            '{"error": {"type": "DUPLICATED_EVENT", "message": "seen it"}}',
            Verdict(
                AttemptResult.REJECTED, False, 400, CANT, Sub.HTTP, "DUPLICATED_EVENT: seen it"
            ),
            id="400 is final",
        ),
        pytest.param(
            400,
            "text/plain",
            "no",
            Verdict(
                AttemptResult.REJECTED,
                False,
                400,
                CANT,
                Sub.HTTP,
                "The store rejected the notification (400)",
            ),
            id="400 without a body is final too",
        ),
        pytest.param(
            500,
            "application/json",
            '{"error": {"type": "UNKNOWN", "message": "db down"}}',
            Verdict.failed(CANT, Sub.HTTP, "UNKNOWN: db down", http_status=500),
            id="500 is retried",
        ),
        pytest.param(
            302,
            "text/html",
            "",
            Verdict.failed(
                CANT, Sub.HTTP, "The store answered 302 instead of 200", http_status=302
            ),
            id="any other code counts as 500",
        ),
        pytest.param(
            200,
            "text/plain",
            GOOD,
            Verdict.failed(
                CANT,
                Sub.UNSUPPORTED_MEDIA_TYPE,
                "The answer's Content-Type is text/plain, not application/json",
                http_status=200,
            ),
            id="200 that is not JSON by its type",
        ),
        pytest.param(
            200,
            "application/json",
            "{not json",
            Verdict.failed(
                INVALID,
                Sub.CANT_PARSE_RESPONSE,
                "The answer is not a JSON document in UTF-8",
                http_status=200,
            ),
            id="200 that does not parse",
        ),
        pytest.param(
            200,
            "application/json",
            '{"name": "name", "time": "2025-01-16T10:09:49Z"}',
            Verdict.failed(
                INVALID,
                Sub.INVALID_DATA,
                "Invalid answer: version: Field required",
                http_status=200,
            ),
            id="200 without the integration version",
        ),
        pytest.param(
            200,
            "application/json",
            json.dumps({"version": "1", "name": "n" * 101, "time": "2025-01-16T10:09:49Z"}),
            Verdict.failed(
                INVALID,
                Sub.INVALID_DATA,
                "Invalid answer: name: String should have at most 100 characters",
                http_status=200,
            ),
            id="200 with a name over 100 characters",
        ),
        pytest.param(
            200,
            "application/json",
            json.dumps({"version": "1", "name": "n" * 100, "time": "2025-01-16T10:09:49Z"}),
            Verdict(AttemptResult.DELIVERED, retry=False, http_status=200),
            id="200 with a name of exactly 100 characters",
        ),
        pytest.param(
            200,
            "application/json",
            json.dumps({"version": "", "name": "n", "time": "2025-01-16T10:09:49Z"}),
            Verdict.failed(
                INVALID,
                Sub.INVALID_DATA,
                "Invalid answer: version: String should have at least 1 character",
                http_status=200,
            ),
            id="200 with an empty version",
        ),
        pytest.param(
            200,
            "application/json",
            json.dumps({"version": "1", "name": "n", "time": "2025-01-16T10:09:49"}),
            Verdict.failed(
                INVALID,
                Sub.INVALID_DATA,
                "Invalid answer: time: Input should have timezone info",
                http_status=200,
            ),
            id="200 with a time without offset",
        ),
    ],
)
def test_judge_answer(status: int, content_type: str, body: str, expected: Verdict) -> None:
    assert judge_answer(status, content_type, body.encode()) == expected
