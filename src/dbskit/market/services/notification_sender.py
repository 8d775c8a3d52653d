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
from typing import Any

from sqlalchemy import Connection, insert, select, update

from dbskit.contract.notifications import (
    DeliveryErrorSubtype,
    DeliveryErrorType,
    NotificationType,
)
from dbskit.contract.outbox import ANSWER_MAX_CHARS, AttemptResult, MessageState
from dbskit.market.domain.clock import Clock
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
from dbskit.settings import Settings
from dbskit.storage.db import Database
from dbskit.storage.tables import outbox_attempts, outbox_messages

_HEADERS = {"Content-Type": JSON_MEDIA_TYPE, "Accept": JSON_MEDIA_TYPE}


@dataclass(frozen=True, slots=True)
class _Message:
    id: int
    payload: dict[str, Any]
    notification_url: str
    state: str
    created_at: datetime

    @property
    def is_ping(self) -> bool:
        return self.payload.get("notificationType") == NotificationType.PING


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
        message = await self._db.run_read(lambda conn: _load(conn, message_id))
        if message is None or message.state != MessageState.PENDING:
            return f"skipped: message {message_id} is no longer pending"
        url = notification_endpoint(message.notification_url)
        attempted_at = self._clock.now()
        outcome = await self._attempt(url, message)
        next_due = None
        if outcome.verdict.retry and not message.is_ping:  # a PING is tried once
            next_due = next_attempt_at(
                created_at=message.created_at,
                previous_due=event.due_at,
                factor=self._settings.notification_time_factor,
            )
        state = _state_after(outcome.verdict, next_due, message)

        def record(conn: Connection) -> None:
            conn.execute(
                insert(outbox_attempts).values(
                    message_id=message.id,
                    number=number,
                    scheduled_at=event.due_at,
                    attempted_at=attempted_at,
                    url=url,
                    duration_ms=outcome.duration_ms,
                    result=outcome.verdict.result.value,
                    http_status=outcome.verdict.http_status,
                    error_type=_value(outcome.verdict.error_type),
                    error_subtype=_value(outcome.verdict.error_subtype),
                    message=outcome.verdict.message,
                    answer=outcome.answer,
                )
            )
            conn.execute(
                update(outbox_messages)
                .where(
                    outbox_messages.c.id == message.id,
                    outbox_messages.c.state == MessageState.PENDING.value,
                )
                .values(state=state.value, next_attempt_at=next_due)
            )
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

    async def _attempt(self, url: str, message: _Message) -> _Outcome:
        import httpx  # only once a store is called (see services/outbound.py)

        started = time.perf_counter()
        refused = refuse_target(url)
        if refused is not None:
            return _Outcome(refused, None, 0)
        timeout = (
            self._settings.ping_timeout_seconds
            if message.is_ping
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


def _state_after(verdict: Verdict, next_due: datetime | None, message: _Message) -> MessageState:
    if verdict.result is AttemptResult.DELIVERED:
        return MessageState.DELIVERED
    if verdict.result is AttemptResult.REJECTED:
        return MessageState.REJECTED
    if next_due is not None:
        return MessageState.PENDING
    if verdict.retry and not message.is_ping:
        return MessageState.EXPIRED  # 14 days without success
    return MessageState.FAILED


def _value(member: DeliveryErrorType | DeliveryErrorSubtype | None) -> str | None:
    return None if member is None else member.value


def _load(conn: Connection, message_id: int) -> _Message | None:
    row = conn.execute(
        select(
            outbox_messages.c.id,
            outbox_messages.c.payload,
            outbox_messages.c.notification_url,
            outbox_messages.c.state,
            outbox_messages.c.created_at,
        ).where(outbox_messages.c.id == message_id)
    ).first()
    if row is None or row.notification_url is None:
        return None
    return _Message(row.id, row.payload, row.notification_url, row.state, row.created_at)
