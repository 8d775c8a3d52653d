"""The Market's notification sender: one scheduled event per delivery attempt.

Each attempt POSTs the stored JSON to ``<notification URL>/notification`` (R-113), waits at most
the R-116 deadline (C-13 for PING), records what happened in the outbox and, when the attempt
failed in a way R-116 retries, schedules the next one from the schedule in
``domain.notification_delivery`` — counted from the attempt's scheduled time on the sandbox
clock, so advancing the clock replays exactly the attempts that fall due, in order.

The scheduler hands over a round's attempts at once. Attempts to one URL are made one at a time,
earliest due first, so a store sees its notifications in order; different URLs are called
concurrently, up to ``STORES_AT_ONCE``. The round's attempts, message states and next attempts
are then written together, in the scheduler's write.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from dbskit.clock import Clock
from dbskit.contract.notifications import DeliveryErrorSubtype, NotificationType
from dbskit.contract.outbox import ANSWER_MAX_CHARS, AttemptResult, MessageState, OutboxAttempt
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.notification_delivery import next_attempt_at, refuse_target
from dbskit.market.services.outbound import (
    OutboundHttp,
    loopback_address,
    refused_connection,
)
from dbskit.market.services.outbox import attempt_of, schedule_attempts
from dbskit.market.services.scheduler import Finish, ScheduledEvent, failure_outcome
from dbskit.market.storage.outbox import (
    Settled,
    StoredNotification,
    load_notifications,
    record_attempts,
    settle_pending,
)
from dbskit.notification_answers import (
    JSON_MEDIA_TYPE,
    Verdict,
    judge_answer,
    no_connection,
    notification_endpoint,
)
from dbskit.notification_failures import transport_failure
from dbskit.settings import Settings

log = logging.getLogger(__name__)

_HEADERS = {"Content-Type": JSON_MEDIA_TYPE, "Accept": JSON_MEDIA_TYPE}

# Store URLs called at once in a round: below httpx's pool of 100 connections, beyond which a
# call waits in the pool's queue (2,000 calls at once cost 40 ms each instead of 0.4 ms).
STORES_AT_ONCE = 32


@dataclass(frozen=True, slots=True)
class _Outcome:
    verdict: Verdict
    answer: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class _Made:
    """One attempt made, as it is written."""

    attempt: OutboxAttempt
    settled: Settled


@dataclass(slots=True)
class _Target:
    """Where a lane's attempts go, worked out once for all of them."""

    url: str
    refused: Verdict | None  # an unusable URL: every attempt fails without a call
    loopback: tuple[str, int] | None
    # The lane's last attempt found the port closed: the next one checks the port first, so a
    # stopped store costs no HTTP client call, and a running one gets no extra connection.
    port_closed: bool = False


class NotificationSender:
    def __init__(
        self, *, db: Database, clock: Clock, http: OutboundHttp, settings: Settings
    ) -> None:
        self._db = db
        self._clock = clock
        self._http = http
        self._settings = settings

    async def deliver(self, events: Sequence[ScheduledEvent]) -> Finish:
        """Make the attempts of a round: attempt ``payload["attempt"]`` of message
        ``payload["messageId"]`` for each event."""
        wanted = {attempt_of(event.payload)[0] for event in events}
        messages = await self._db.run_read(lambda conn: load_notifications(conn, wanted))
        lanes: dict[str, list[tuple[ScheduledEvent, StoredNotification]]] = {}
        for event in events:
            message = messages.get(attempt_of(event.payload)[0])
            if message is not None and message.state == MessageState.PENDING:
                url = notification_endpoint(message.notification_url)
                lanes.setdefault(url, []).append((event, message))
        made: dict[int, _Made | str] = {}  # by event: the attempt, or why it broke
        stores = asyncio.Semaphore(STORES_AT_ONCE)

        async def lane(url: str, queue: list[tuple[ScheduledEvent, StoredNotification]]) -> None:
            target = _Target(url, refuse_target(url), loopback_address(url))
            async with stores:
                for event, message in queue:
                    try:
                        made[event.id] = await self._make(target, event, message)
                    except Exception as exc:  # this attempt alone: the lane goes on
                        log.exception("notification attempt %s failed", event.id)
                        made[event.id] = failure_outcome(exc)

        await asyncio.gather(*(lane(url, queue) for url, queue in lanes.items()))
        return partial(self._record, made)

    def _record(
        self, made: dict[int, _Made | str], conn: Transaction, run: Sequence[ScheduledEvent]
    ) -> list[str | None]:
        """The attempts of ``run`` written in a transaction of the round, with the next ones."""
        outcomes: list[str | None] = []
        written: list[_Made] = []
        for event in run:
            done = made.get(event.id)
            if done is None:
                message_id = attempt_of(event.payload)[0]
                outcomes.append(f"skipped: message {message_id} is no longer pending")
                continue
            if isinstance(done, str):
                outcomes.append(done)
                continue
            written.append(done)
            outcomes.append(
                f"attempt {done.attempt.number}: {done.attempt.result.value}, "
                f"message {done.settled.state.value}"
            )
        record_attempts(conn, [(d.settled.message_id, d.attempt) for d in written])
        settle_pending(conn, [d.settled for d in written])
        schedule_attempts(
            conn,
            [
                (d.settled.message_id, d.attempt.number + 1, d.settled.next_attempt_at)
                for d in written
                if d.settled.next_attempt_at is not None
            ],
            now=self._clock.now(),
        )
        return outcomes

    async def _make(
        self, target: _Target, event: ScheduledEvent, message: StoredNotification
    ) -> _Made:
        attempted_at = self._clock.now()
        outcome = await self._attempt(target, message)
        target.port_closed = (
            outcome.verdict.error_subtype is DeliveryErrorSubtype.CONNECTION_REFUSED
        )
        next_due = None
        if outcome.verdict.retry and not _is_ping(message):  # a PING is tried once
            next_due = next_attempt_at(
                created_at=message.created_at,
                previous_due=event.due_at,
                factor=self._settings.notification_time_factor,
            )
        attempt = OutboxAttempt(
            number=attempt_of(event.payload)[1],
            scheduled_at=event.due_at,
            attempted_at=attempted_at,
            url=target.url,
            duration_ms=outcome.duration_ms,
            result=outcome.verdict.result,
            http_status=outcome.verdict.http_status,
            error_type=outcome.verdict.error_type,
            error_subtype=outcome.verdict.error_subtype,
            message=outcome.verdict.message,
            answer=outcome.answer,
        )
        state = _state_after(outcome.verdict, next_due, message)
        return _Made(attempt, Settled(message.id, state, next_due))

    async def _attempt(self, target: _Target, message: StoredNotification) -> _Outcome:
        if target.refused is not None:
            return _Outcome(target.refused, None, 0)
        started = time.perf_counter()
        timeout = (
            self._settings.ping_timeout_seconds
            if _is_ping(message)
            else self._settings.notification_timeout_seconds
        )
        if target.loopback is not None and target.port_closed:
            # A store on this machine that was stopped a moment ago: still stopped, it fails
            # here, without the HTTP client's cost.
            try:
                async with asyncio.timeout(timeout):
                    failed = await refused_connection(target.loopback)
            except TimeoutError:
                failed = no_connection(timeout)
            if failed is not None:
                return _Outcome(failed, None, _ms_since(started))
        import httpx  # only once a store is called (see services/outbound.py)

        remaining = max(timeout - (time.perf_counter() - started), 0.0)
        body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
        answer = None
        try:
            # The deadline covers the whole exchange, not each phase as httpx's timeouts do.
            async with asyncio.timeout(remaining):
                response = await self._http.client.post(
                    target.url, content=body, headers=_HEADERS, timeout=remaining
                )
            answer = response.content.decode("utf-8", "replace")[:ANSWER_MAX_CHARS] or None
            verdict = judge_answer(
                response.status_code, response.headers.get("content-type"), response.content
            )
        except (httpx.HTTPError, TimeoutError) as exc:
            verdict = transport_failure(exc, timeout)
        return _Outcome(verdict, answer, _ms_since(started))


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


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
