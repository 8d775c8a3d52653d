"""The Market's notification sender: one scheduled event per delivery attempt.

Each attempt POSTs the stored JSON to ``<notification URL>/notification`` (R-113), waits at most
the R-116 deadline (C-13 for PING), records what happened in the outbox and, when the attempt
failed in a way R-116 retries, schedules the next one from the schedule in
``domain.notification_delivery`` — counted from the attempt's scheduled time on the sandbox
clock, so advancing the clock replays exactly the attempts that fall due, in order.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime

from dbskit.clock import Clock
from dbskit.contract.notifications import NotificationType
from dbskit.contract.outbox import ANSWER_MAX_CHARS, AttemptResult, MessageState, OutboxAttempt
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.notification_delivery import (
    JSON_MEDIA_TYPE,
    Verdict,
    judge_answer,
    next_attempt_at,
    notification_endpoint,
    refuse_target,
)
from dbskit.market.services.outbound import OutboundHttp, transport_failure
from dbskit.market.services.outbox import schedule_attempt
from dbskit.market.services.scheduler import ScheduledEvent
from dbskit.market.storage.outbox import (
    StoredNotification,
    load_notification,
    record_attempt,
    settle_pending,
)
from dbskit.settings import Settings

_HEADERS = {"Content-Type": JSON_MEDIA_TYPE, "Accept": JSON_MEDIA_TYPE}


@dataclass(frozen=True, slots=True)
class _Outcome:
    verdict: Verdict
    answer: str | None
    duration_ms: int


class NotificationSender:
    def __init__(
        self, *, db: Database, clock: Clock, http: OutboundHttp, settings: Settings
    ) -> None:
        self._db = db
        self._clock = clock
        self._http = http
        self._settings = settings

    async def deliver(self, event: ScheduledEvent) -> str:
        """Make attempt ``event.payload["attempt"]`` of message ``event.payload["messageId"]``."""
        message_id = int(event.payload["messageId"])
        number = int(event.payload["attempt"])
        message = await self._db.run_read(lambda conn: load_notification(conn, message_id))
        if message is None or message.state != MessageState.PENDING:
            return f"skipped: message {message_id} is no longer pending"
        url = notification_endpoint(message.notification_url)
        attempted_at = self._clock.now()
        outcome = await self._attempt(url, message)
        next_due = None
        if outcome.verdict.retry and not _is_ping(message):  # a PING is tried once
            next_due = next_attempt_at(
                created_at=message.created_at,
                previous_due=event.due_at,
                factor=self._settings.notification_time_factor,
            )
        state = _state_after(outcome.verdict, next_due, message)
        attempt = OutboxAttempt(
            number=number,
            scheduled_at=event.due_at,
            attempted_at=attempted_at,
            url=url,
            duration_ms=outcome.duration_ms,
            result=outcome.verdict.result,
            http_status=outcome.verdict.http_status,
            error_type=outcome.verdict.error_type,
            error_subtype=outcome.verdict.error_subtype,
            message=outcome.verdict.message,
            answer=outcome.answer,
        )

        def record(conn: Transaction) -> None:
            record_attempt(conn, message.id, attempt)
            settle_pending(conn, message.id, state=state, next_attempt_at=next_due)
            if next_due is not None:
                schedule_attempt(
                    conn,
                    message_id=message.id,
                    number=number + 1,
                    due_at=next_due,
                    now=self._clock.now(),
                )

        await self._db.run_write(record)
        return f"attempt {number}: {outcome.verdict.result.value}, message {state.value}"

    async def _attempt(self, url: str, message: StoredNotification) -> _Outcome:
        import httpx  # only once a store is called (see services/outbound.py)

        started = time.perf_counter()
        refused = refuse_target(url)
        if refused is not None:
            return _Outcome(refused, None, 0)
        timeout = (
            self._settings.ping_timeout_seconds
            if _is_ping(message)
            else self._settings.notification_timeout_seconds
        )
        body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
        answer = None
        try:
            # The deadline covers the whole exchange, not each phase as httpx's timeouts do.
            async with asyncio.timeout(timeout):
                response = await self._http.client.post(
                    url, content=body, headers=_HEADERS, timeout=timeout
                )
            answer = response.content.decode("utf-8", "replace")[:ANSWER_MAX_CHARS] or None
            verdict = judge_answer(
                response.status_code, response.headers.get("content-type"), response.content
            )
        except (httpx.HTTPError, TimeoutError) as exc:
            verdict = transport_failure(exc, timeout)
        duration_ms = round((time.perf_counter() - started) * 1000)
        return _Outcome(verdict, answer, duration_ms)


def _state_after(
    verdict: Verdict, next_due: datetime | None, message: StoredNotification
) -> MessageState:
    if verdict.result is AttemptResult.DELIVERED:
        return MessageState.DELIVERED
    if verdict.result is AttemptResult.REJECTED:
        return MessageState.REJECTED
    if next_due is not None:
        return MessageState.PENDING
    if verdict.retry and not _is_ping(message):
        return MessageState.EXPIRED  # 14 days without success
    return MessageState.FAILED


def _is_ping(message: StoredNotification) -> bool:
    return message.payload.get("notificationType") == NotificationType.PING
