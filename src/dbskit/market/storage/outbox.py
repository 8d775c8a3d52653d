"""The outbox: every e-mail and API notification the Market sends, and each delivery attempt of a
notification (``outbox_messages``, ``outbox_attempts``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, insert, select, update

from dbskit.contract.outbox import MessageKind, MessageState, OutboxAttempt, OutboxMessage
from dbskit.database.db import Transaction
from dbskit.market.storage.keyset import older_than
from dbskit.market.storage.tables import outbox_attempts, outbox_messages


@dataclass(frozen=True, slots=True)
class StoredNotification:
    """A notification as its sender needs it."""

    id: int
    payload: dict[str, Any]
    notification_url: str
    state: MessageState
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Settled:
    """A notification's state after an attempt, and when the next one is due (None: no more)."""

    message_id: int
    state: MessageState
    next_attempt_at: datetime | None


_message = outbox_messages.c
_attempt = outbox_attempts.c

# Built once: made per call with inline values, Core would compute a new cache key each time.
_INSERT_MESSAGE = insert(outbox_messages)
_INSERT_ATTEMPT = insert(outbox_attempts)
_NOTIFICATIONS = select(
    _message.id, _message.payload, _message.notification_url, _message.state, _message.created_at
).where(_message.id.in_(bindparam("message_ids", expanding=True)))
# Only a pending message moves on: a message settled meanwhile keeps its state.
_SETTLE_PENDING = (
    update(outbox_messages)
    .where(_message.id == bindparam("message_id"), _message.state == MessageState.PENDING.value)
    .values(state=bindparam("new_state"), next_attempt_at=bindparam("next_at"))
)


def insert_message(
    conn: Transaction,
    *,
    kind: MessageKind,
    campaign_id: int,
    order_id: int | None,
    payload: dict[str, Any],
    notification_url: str | None,
    state: MessageState,
    now: datetime,
    next_attempt_at: datetime | None,
) -> int:
    result = conn.execute(
        _INSERT_MESSAGE,
        {
            "kind": kind.value,
            "campaign_id": campaign_id,
            "order_id": order_id,
            "payload": payload,
            "notification_url": notification_url,
            "state": state.value,
            "created_at": now,
            "next_attempt_at": next_attempt_at,
        },
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def load_notifications(
    conn: Transaction, message_ids: Collection[int]
) -> dict[int, StoredNotification]:
    """The messages by id (a round's worth: ``scheduled_events.DUE_BATCH`` at most); those
    missing or without a URL to be sent to are left out."""
    rows = conn.execute(_NOTIFICATIONS, {"message_ids": list(message_ids)})
    return {
        row.id: StoredNotification(
            row.id, row.payload, row.notification_url, MessageState(row.state), row.created_at
        )
        for row in rows
        if row.notification_url is not None
    }


def record_attempts(conn: Transaction, attempts: Sequence[tuple[int, OutboxAttempt]]) -> None:
    """Attempts as (message id, attempt), in one ``executemany``."""
    if attempts:
        conn.execute(_INSERT_ATTEMPT, [_attempt_row(message_id, a) for message_id, a in attempts])


def settle_pending(conn: Transaction, settled: Sequence[Settled]) -> None:
    """Each message's state after an attempt, if it is still pending, in one ``executemany``."""
    if settled:
        conn.execute(
            _SETTLE_PENDING,
            [
                {
                    "message_id": s.message_id,
                    "new_state": s.state.value,
                    "next_at": s.next_attempt_at,
                }
                for s in settled
            ],
        )


def _attempt_row(message_id: int, attempt: OutboxAttempt) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "number": attempt.number,
        "scheduled_at": attempt.scheduled_at,
        "attempted_at": attempt.attempted_at,
        "url": attempt.url,
        "duration_ms": attempt.duration_ms,
        "result": attempt.result.value,
        "http_status": attempt.http_status,
        "error_type": None if attempt.error_type is None else attempt.error_type.value,
        "error_subtype": None if attempt.error_subtype is None else attempt.error_subtype.value,
        "message": attempt.message,
        "answer": attempt.answer,
    }


def load_messages(
    conn: Transaction,
    *,
    campaign_id: int | None = None,
    order_id: int | None = None,
    message_ids: Collection[int] | None = None,
) -> list[OutboxMessage]:
    """Messages oldest first, each with its attempts in order; ``message_ids`` keeps those."""
    messages = select(outbox_messages)
    if message_ids is not None:
        messages = messages.where(_message.id.in_(list(message_ids)))
    if campaign_id is not None:
        messages = messages.where(_message.campaign_id == campaign_id)
    if order_id is not None:
        messages = messages.where(_message.order_id == order_id)
    chosen = messages.with_only_columns(_message.id).scalar_subquery()
    attempts: dict[int, list[OutboxAttempt]] = {}
    for row in conn.execute(
        select(outbox_attempts)
        .where(_attempt.message_id.in_(chosen))
        .order_by(_attempt.message_id, _attempt.number)
    ):
        attempts.setdefault(row.message_id, []).append(_stored_attempt(row._mapping))
    rows = conn.execute(messages.order_by(_message.created_at, _message.id))
    return [
        OutboxMessage(
            id=row.id,
            kind=MessageKind(row.kind),
            campaign_id=row.campaign_id,
            order_id=row.order_id,
            created_at=row.created_at,
            state=MessageState(row.state),
            notification_url=row.notification_url,
            next_attempt_at=row.next_attempt_at,
            payload=row.payload,
            attempts=attempts.get(row.id, []),
        )
        for row in rows
    ]


def message_page(
    conn: Transaction,
    *,
    campaign_id: int | None = None,
    order_id: int | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int,
) -> list[OutboxMessage]:
    """Up to ``limit`` messages newest first (creation time, then id), each with its attempts;
    only those after ``after`` (a creation time and an id) in that order.

    The page's ids are chosen first, on the narrow columns, so the database sorts no payload
    and only the page's messages and attempts are read whole.
    """
    chosen = select(_message.id)
    if campaign_id is not None:
        chosen = chosen.where(_message.campaign_id == campaign_id)
    if order_id is not None:
        chosen = chosen.where(_message.order_id == order_id)
    if after is not None:
        chosen = chosen.where(*older_than(_message.created_at, _message.id, after))
    ids = list(
        conn.execute(
            chosen.order_by(_message.created_at.desc(), _message.id.desc()).limit(limit)
        ).scalars()
    )
    if not ids:
        return []
    return load_messages(conn, message_ids=ids)[::-1]


def _stored_attempt(row: RowMapping) -> OutboxAttempt:
    return OutboxAttempt(
        number=row["number"],
        scheduled_at=row["scheduled_at"],
        attempted_at=row["attempted_at"],
        url=row["url"],
        duration_ms=row["duration_ms"],
        result=row["result"],
        http_status=row["http_status"],
        error_type=row["error_type"],
        error_subtype=row["error_subtype"],
        message=row["message"],
        answer=row["answer"],
    )
