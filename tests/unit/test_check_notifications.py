"""``dbskit check-notifications``' pure parts: what it sends, how it judges, how it reports."""

from __future__ import annotations

import json
import re
import typing
from datetime import UTC, datetime
from typing import Any

import pytest
import typer

from dbskit.checker.notification_checks import (
    DEFAULT_CHECKS,
    ORDER_CHECKS,
    CheckState,
    judge_all,
)
from dbskit.checker.notification_probes import (
    NOTIFICATION_DEADLINE,
    PING_DEADLINE,
    UNKNOWN_TYPE,
    Probe,
    default_probes,
    order_probes,
)
from dbskit.checker.notification_report import json_report, summary, text_report
from dbskit.checker.notification_runner import Exchange, Exchanges
from dbskit.cli.check_notifications import notification_url
from dbskit.contract.notifications import Notification, NotificationType
from dbskit.notification_answers import judge_answer, no_answer
from tests.notification_schemas import assert_valid_notification

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ACCEPTED = json.dumps({"version": "1.0.0", "name": "shop", "time": "2026-12-07T10:00:00Z"})
JSON = "application/json"


def error_body(kind: str) -> bytes:
    return json.dumps({"error": {"type": kind, "message": "no"}}).encode()


def exchange(probe: Probe, status: int, body: bytes | str, content_type: str = JSON) -> Exchange:
    answer = body.encode() if isinstance(body, str) else body
    verdict = judge_answer(status, content_type, answer)
    return Exchange(probe, verdict, 0.01, status, content_type, answer)


def unanswered(probe: Probe) -> Exchange:
    return Exchange(probe, no_answer(probe.deadline), probe.deadline)


def good_store_exchanges(probes: list[Probe]) -> dict[str, Exchange]:
    answers = {p.name: exchange(p, 200, ACCEPTED) for p in probes}
    unknown = next(p for p in probes if p.name == "unknown-type")
    answers["unknown-type"] = exchange(unknown, 400, error_body("WRONG_EVENT_FORMAT"))
    return answers


def judged(answers: dict[str, Exchange], *, orders: bool = False) -> dict[str, Any]:
    checks = DEFAULT_CHECKS + (ORDER_CHECKS if orders else ())
    results = judge_all(Exchanges("http://s/notification", tuple(answers.values()), 0.1), checks)
    return {
        r.check: (
            r.state.value,
            r.error_type and r.error_type.value,
            r.error_subtype and r.error_subtype.value,
        )
        for r in results
    }


# --- What it sends ------------------------------------------------------------------------------


@pytest.mark.rule("R-114", "R-117", "C-13")
def test_by_default_a_ping_an_unknown_type_and_the_ping_again() -> None:
    probes = default_probes(NOW)
    assert [p.name for p in probes] == ["ping", "unknown-type", "repeat"]
    ping, unknown, repeat = probes
    assert json.loads(ping.body) == {"notificationType": "PING", "time": "2026-12-07T10:00:00Z"}
    assert_valid_notification(json.loads(ping.body))
    assert repeat.body == ping.body
    assert (ping.deadline, repeat.deadline, unknown.deadline) == (1.0, 1.0, 10.0)
    assert (PING_DEADLINE, NOTIFICATION_DEADLINE) == (1.0, 10.0)
    assert json.loads(unknown.body)["notificationType"] == UNKNOWN_TYPE
    assert UNKNOWN_TYPE not in {t.value for t in NotificationType}


@pytest.mark.rule("R-114", "R-116", "OQ-25")
def test_order_notifications_cover_every_order_type_the_contract_builds() -> None:
    probes = order_probes(NOW, campaign_id=21, order_id=777)
    bodies = [json.loads(p.body) for p in probes]
    union = typing.get_args(typing.get_args(Notification)[0])
    built = {m.model_fields["notification_type"].annotation.__args__[0].value for m in union}
    assert {b["notificationType"] for b in bodies} == built - {"PING"}
    assert probes[1].name == "order-repeat" and probes[1].body == probes[0].body
    for body in bodies:
        assert_valid_notification(body)
        assert (body["campaignId"], body["orderId"]) == (21, 777)
    assert {p.deadline for p in probes} == {10.0}


# --- How it judges ------------------------------------------------------------------------------


@pytest.mark.rule("R-115", "R-117")
def test_a_store_as_the_spec_wants_it_passes_every_check() -> None:
    probes = default_probes(NOW) + order_probes(NOW, campaign_id=1, order_id=1)
    results = judged(good_store_exchanges(probes), orders=True)
    assert set(results.values()) == {("PASSED", None, None)}
    assert len(results) == len(DEFAULT_CHECKS) + len(ORDER_CHECKS)


@pytest.mark.rule("R-113", "R-115")
@pytest.mark.parametrize(
    ("status", "content_type", "body", "failed"),
    [
        pytest.param(
            200,
            "text/plain",
            ACCEPTED,
            {"content-type": ("FAILED", "CANT_GET_RESPONSE", "UNSUPPORTED_MEDIA_TYPE")},
            id="content-type",
        ),
        pytest.param(
            200,
            JSON,
            '{"version": "1", "name": "x"}',
            {"answer-schema": ("FAILED", "INVALID_RESPONSE", "INVALID_DATA")},
            id="no-time",
        ),
        pytest.param(
            200,
            JSON,
            "<html>ok</html>",
            {"answer-schema": ("FAILED", "INVALID_RESPONSE", "CANT_PARSE_RESPONSE")},
            id="not-json",
        ),
        pytest.param(
            500,
            JSON,
            error_body("UNKNOWN"),
            {
                "ping": ("FAILED", "CANT_GET_RESPONSE", "HTTP"),
                "content-type": ("SKIPPED", None, None),
                "answer-schema": ("SKIPPED", None, None),
                "repeat": ("FAILED", "CANT_GET_RESPONSE", "HTTP"),
            },
            id="500",
        ),
    ],
)
def test_a_defect_of_the_ping_answer_fails_its_own_check(
    status: int, content_type: str, body: str, failed: dict[str, Any]
) -> None:
    probes = default_probes(NOW)
    answers = good_store_exchanges(probes)
    for name in ("ping", "repeat"):
        answers[name] = exchange(answers[name].probe, status, body, content_type)
    results = judged(answers)
    assert {k: v for k, v in results.items() if v != ("PASSED", None, None)} == failed


@pytest.mark.rule("R-115")
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, error_body("WRONG_EVENT_FORMAT"), ("PASSED", None, None)),
        (400, error_body("UNKNOWN"), ("FAILED", "CANT_GET_RESPONSE", "HTTP")),
        (400, b"", ("FAILED", "CANT_GET_RESPONSE", "HTTP")),
        (200, ACCEPTED.encode(), ("FAILED", None, None)),  # the outbox records a delivery
        (500, error_body("UNKNOWN"), ("FAILED", "CANT_GET_RESPONSE", "HTTP")),
    ],
)
def test_an_unknown_type_expects_400_wrong_event_format(
    status: int, body: bytes, expected: tuple[str, str | None, str | None]
) -> None:
    answers = good_store_exchanges(default_probes(NOW))
    answers["unknown-type"] = exchange(answers["unknown-type"].probe, status, body)
    assert judged(answers)["unknown-type"] == expected


@pytest.mark.rule("R-117")
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, ACCEPTED.encode(), ("PASSED", None, None)),
        (400, error_body("DUPLICATED_EVENT"), ("PASSED", None, None)),
        (400, error_body("WRONG_EVENT_FORMAT"), ("FAILED", "CANT_GET_RESPONSE", "HTTP")),
        (503, b"", ("FAILED", "CANT_GET_RESPONSE", "HTTP")),
    ],
)
def test_a_repeat_passes_with_200_or_duplicated_event(
    status: int, body: bytes, expected: tuple[str, str | None, str | None]
) -> None:
    probes = default_probes(NOW) + order_probes(NOW, campaign_id=1, order_id=1)
    answers = good_store_exchanges(probes)
    for name in ("repeat", "order-repeat"):
        answers[name] = exchange(answers[name].probe, status, body)
    results = judged(answers, orders=True)
    assert (results["repeat"], results["order-repeat"]) == (expected, expected)


@pytest.mark.rule("R-116", "C-13")
def test_no_answer_in_time_is_read_timed_out() -> None:
    probes = default_probes(NOW) + order_probes(NOW, campaign_id=1, order_id=1)
    answers = good_store_exchanges(probes)
    for name in ("ping", "order-cancelled"):
        answers[name] = unanswered(answers[name].probe)
    results = judged(answers, orders=True)
    assert results["ping"] == ("FAILED", "CANT_GET_RESPONSE", "READ_TIMED_OUT")
    assert results["content-type"] == ("SKIPPED", None, None)
    assert results["order-cancelled"] == ("FAILED", "CANT_GET_RESPONSE", "READ_TIMED_OUT")


# --- How it reports ------------------------------------------------------------------------------


@pytest.mark.rule("R-115", "R-116")
def test_one_line_per_check_and_a_summary() -> None:
    probes = default_probes(NOW)
    answers = good_store_exchanges(probes)
    answers["repeat"] = unanswered(answers["repeat"].probe)
    found = Exchanges("http://s/notification", tuple(answers.values()), 0.25)
    results = judge_all(found, DEFAULT_CHECKS)
    lines = text_report(found, results).splitlines()
    assert lines[0] == "POST http://s/notification: 3 notifications in 0.25 s"
    assert [line.split()[:2] for line in lines[2:7]] == [
        ["PASSED", "ping"],
        ["PASSED", "content-type"],
        ["PASSED", "answer-schema"],
        ["PASSED", "unknown-type"],
        ["FAILED", "repeat"],
    ]
    assert lines[6].endswith("R-117  CANT_GET_RESPONSE / READ_TIMED_OUT: No answer within 1.0 s")
    assert lines[-1] == summary(results) == "FAILED: 1 of 5 check(s) failed, 0 not judged"
    document = json.loads(json_report(found, results))
    assert (document["passed"], document["failed"], document["skipped"]) == (False, 1, 0)
    assert document["checks"][-1] == {
        "check": "repeat",
        "rule": "R-117",
        "description": "the PING again: 200 or 400 DUPLICATED_EVENT",
        "state": "FAILED",
        "errorType": "CANT_GET_RESPONSE",
        "errorSubtype": "READ_TIMED_OUT",
        "message": "No answer within 1.0 s",
    }
    assert [n["result"] for n in document["notifications"]] == ["DELIVERED", "REJECTED", "FAILED"]
    assert CheckState.SKIPPED.value == "SKIPPED"


# --- The URL argument ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8485", "https://shop.example/market/", "http://[::1]"]
)
def test_a_base_url_of_a_host_is_taken_as_given(url: str) -> None:
    assert notification_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("127.0.0.1:8485", "is not an http:// or https:// URL of a host"),
        ("ftp://shop.example", "is not an http:// or https:// URL of a host"),
        ("http://host:port", "is not an http:// or https:// URL of a host"),
        ("http://host/api?x=1", "has a query or fragment"),
    ],
)
def test_anything_else_is_a_usage_error(url: str, reason: str) -> None:
    with pytest.raises(typer.BadParameter, match=re.escape(reason)):
        notification_url(url)


@pytest.mark.rule("C-13")
def test_the_ping_deadline_can_be_the_docs_pages_ten_seconds() -> None:
    ping, unknown, repeat = default_probes(NOW, ping_deadline=10.0)
    assert (ping.deadline, unknown.deadline, repeat.deadline) == (10.0, 10.0, 10.0)
