"""How ``dbskit check-notifications`` judges the store's answers: one result per check.

A failure is named by the (type, subtype) pair of the Market's notification log, as the outbox
records the attempt (``dbskit.notification_answers``). Each defect fails one check: the PING's
content type and body are judged apart from its status and deadline, and not judged at all
without a 200.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError

from dbskit.checker.notification_runner import Exchange, Exchanges
from dbskit.contract.notifications import (
    DeliveryErrorSubtype,
    DeliveryErrorType,
    NotificationErrorAnswer,
    NotificationErrorType,
)
from dbskit.contract.outbox import AttemptResult
from dbskit.notification_answers import JSON_MEDIA_TYPE, Verdict, judge_answer


class CheckState(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # not judged: what it looks at never came (the PING got no 200)


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    rule: str
    description: str
    state: CheckState
    message: str
    exchange: Exchange | None = None  # the exchange the check judged
    error_type: DeliveryErrorType | None = None  # the log's class of the failure
    error_subtype: DeliveryErrorSubtype | None = None

    @property
    def failure(self) -> str:
        """The failure as ``TYPE / SUBTYPE: message``, or the message alone without a class."""
        if self.error_type is None or self.error_subtype is None:
            return self.message
        return f"{self.error_type.value} / {self.error_subtype.value}: {self.message}"


Judge = Callable[[Exchange], tuple[CheckState, str, Verdict | None]]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    probe: str  # the probe whose exchange it judges
    rule: str
    description: str
    judge: Judge

    def result(self, exchanges: Exchanges) -> CheckResult:
        exchange = exchanges.of(self.probe)
        if exchange is None:
            raise LookupError(f"no exchange of probe {self.probe!r} to judge")
        state, message, named_by = self.judge(exchange)
        if state is not CheckState.FAILED or named_by is None:
            return CheckResult(self.name, self.rule, self.description, state, message, exchange)
        return CheckResult(
            self.name,
            self.rule,
            self.description,
            state,
            message,
            exchange,
            named_by.error_type,
            named_by.error_subtype,
        )


def _seconds(exchange: Exchange) -> str:
    return f"{exchange.elapsed:.3f} s"


def _failed(verdict: Verdict) -> tuple[CheckState, str, Verdict]:
    return CheckState.FAILED, verdict.message or verdict.result.value, verdict


def judge_in_time_200(exchange: Exchange) -> tuple[CheckState, str, Verdict | None]:
    """Answered 200 within the deadline (the body is the other checks')."""
    verdict = exchange.verdict
    if exchange.status == 200:
        deadline = f"{exchange.probe.deadline:g} s"
        return (
            CheckState.PASSED,
            f"answered 200 in {_seconds(exchange)} (deadline {deadline})",
            None,
        )
    return _failed(verdict)


def judge_content_type(exchange: Exchange) -> tuple[CheckState, str, Verdict | None]:
    if exchange.status != 200:
        return CheckState.SKIPPED, "not judged: no 200 answer", None
    verdict = exchange.verdict
    if verdict.error_subtype is DeliveryErrorSubtype.UNSUPPORTED_MEDIA_TYPE:
        return _failed(verdict)
    return CheckState.PASSED, f"Content-Type {exchange.content_type}", None


def judge_answer_schema(exchange: Exchange) -> tuple[CheckState, str, Verdict | None]:
    """``{version, name, time}`` (R-115), judged as if the content type were right, so that a
    wrong content type fails only its own check."""
    if exchange.status != 200:
        return CheckState.SKIPPED, "not judged: no 200 answer", None
    verdict = judge_answer(200, JSON_MEDIA_TYPE, exchange.answer)
    if verdict.result is AttemptResult.DELIVERED:
        return CheckState.PASSED, "version, name and time as the spec gives them", None
    return _failed(verdict)


def _error_type(answer: bytes) -> NotificationErrorType | None:
    try:
        parsed = NotificationErrorAnswer.model_validate_json(answer)
    except ValidationError:
        return None
    return parsed.error.type if parsed.error is not None else None


def _refusal(exchange: Exchange) -> str:
    kind = _error_type(exchange.answer)
    return f"error.type {kind.value}" if kind is not None else "no error.type"


def judge_unknown_type(exchange: Exchange) -> tuple[CheckState, str, Verdict | None]:
    """400 with ``error.type`` WRONG_EVENT_FORMAT for a type the store cannot know (R-115)."""
    verdict = exchange.verdict
    expected = NotificationErrorType.WRONG_EVENT_FORMAT
    if exchange.status == 400 and _error_type(exchange.answer) is expected:
        return CheckState.PASSED, f"answered 400 {expected.value}", None
    if exchange.status == 400:
        wrong = f"answered 400 with {_refusal(exchange)}; expected {expected.value}"
        return CheckState.FAILED, wrong, verdict
    if verdict.result is AttemptResult.DELIVERED:
        # The outbox records a delivery: no class names this failure.
        accepted = f"accepted it with 200; expected 400 {expected.value}"
        return CheckState.FAILED, accepted, None
    return _failed(verdict)


def judge_repeat(exchange: Exchange) -> tuple[CheckState, str, Verdict | None]:
    """The same notification again: 200 as the first time, or 400 DUPLICATED_EVENT (R-117).
    A 200's content type and body are judged by the first time's checks, not again here."""
    verdict = exchange.verdict
    duplicated = NotificationErrorType.DUPLICATED_EVENT
    if exchange.status == 200:
        return CheckState.PASSED, f"answered 200 in {_seconds(exchange)}", None
    if exchange.status == 400 and _error_type(exchange.answer) is duplicated:
        return CheckState.PASSED, f"answered 400 {duplicated.value}", None
    if exchange.status == 400:
        wrong = f"answered 400 with {_refusal(exchange)}; expected 200 or 400 {duplicated.value}"
        return CheckState.FAILED, wrong, verdict
    return _failed(verdict)


def judge_delivered(exchange: Exchange) -> tuple[CheckState, str, Verdict | None]:
    """What the Market counts as delivered (R-115), within the deadline (R-116)."""
    verdict = exchange.verdict
    if verdict.result is AttemptResult.DELIVERED:
        return CheckState.PASSED, f"delivered in {_seconds(exchange)}", None
    return _failed(verdict)


DEFAULT_CHECKS = (
    Check("ping", "ping", "C-13", "PING answered 200 within its deadline", judge_in_time_200),
    Check("content-type", "ping", "R-113", "the answer is application/json", judge_content_type),
    Check(
        "answer-schema", "ping", "R-115", "the answer is {version, name, time}", judge_answer_schema
    ),
    Check(
        "unknown-type",
        "unknown-type",
        "R-115",
        "a type the store cannot know: 400 WRONG_EVENT_FORMAT",
        judge_unknown_type,
    ),
    Check("repeat", "repeat", "R-117", "the PING again: 200 or 400 DUPLICATED_EVENT", judge_repeat),
)

ORDER_CHECKS = (
    Check("order-created", "order-created", "R-114", "ORDER_CREATED delivered", judge_delivered),
    Check(
        "order-repeat",
        "order-repeat",
        "R-117",
        "ORDER_CREATED again: 200 or 400 DUPLICATED_EVENT",
        judge_repeat,
    ),
    Check(
        "order-status-updated",
        "order-status-updated",
        "R-114",
        "ORDER_STATUS_UPDATED delivered",
        judge_delivered,
    ),
    Check("order-updated", "order-updated", "R-114", "ORDER_UPDATED delivered", judge_delivered),
    Check(
        "order-cancellation-request",
        "order-cancellation-request",
        "R-114",
        "ORDER_CANCELLATION_REQUEST delivered",
        judge_delivered,
    ),
    Check(
        "order-cancelled", "order-cancelled", "R-114", "ORDER_CANCELLED delivered", judge_delivered
    ),
)


def judge_all(exchanges: Exchanges, checks: Iterable[Check]) -> list[CheckResult]:
    return [check.result(exchanges) for check in checks]
