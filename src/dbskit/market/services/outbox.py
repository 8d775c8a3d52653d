"""The outbox: every e-mail and API notification the Market sends, recorded with the change that
causes it.

``record_email`` and ``record_notification`` run inside the caller's write transaction, with the
caller's ``now`` and explicit values, so a message exists exactly when the order change commits.
A notification for a campaign with a notification URL gets its first delivery attempt scheduled
at ``now`` (the sender in ``notification_sender`` makes it and schedules the retries).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select

from dbskit.contract.notifications import Notification, payload_json
from dbskit.contract.outbox import (
    MessageKind,
    MessageState,
    OutboxAttempt,
    OutboxListing,
    OutboxMessage,
)
from dbskit.market.services.scheduler import schedule
from dbskit.storage.tables import outbox_attempts, outbox_messages

DELIVER_NOTIFICATION = "notification.deliver"  # the scheduled-event kind of one attempt


def record_email(
    conn: Connection,
    *,
    campaign_id: int,
    order_id: int | None,
    payload: Mapping[str, Any],
    now: datetime,
) -> int:
    """A buyer e-mail the Market sends (for example the digital keys, R-011). Returns its id."""
    return _insert(
        conn,
        kind=MessageKind.EMAIL,
        campaign_id=campaign_id,
        order_id=order_id,
        payload=dict(payload),
        notification_url=None,
        state=MessageState.SENT,
        now=now,
    )


def record_notification(
    conn: Connection,
    *,
    campaign_id: int,
    order_id: int | None,
    payload: Notification,
    notification_url: str | None,
    now: datetime,
) -> int:
    """An API notification (R-114) and, when the campaign has a URL, its first attempt at ``now``.

    Test orders get notifications like real ones (R-109). Without a URL the message is kept as
    ``NOT_SENT``, so the sandbox still shows what the Market would have sent. Returns its id.
    """
    message_id = _insert(
        conn,
        kind=MessageKind.NOTIFICATION,
        campaign_id=campaign_id,
        order_id=order_id,
        payload=payload_json(payload),
        notification_url=notification_url,
        state=MessageState.PENDING if notification_url else MessageState.NOT_SENT,
        now=now,
        next_attempt_at=now if notification_url else None,
    )
    if notification_url:
        schedule_attempt(conn, message_id=message_id, number=1, due_at=now, now=now)
    return message_id


def schedule_attempt(
    conn: Connection, *, message_id: int, number: int, due_at: datetime, now: datetime
) -> None:
    schedule(
        conn,
        kind=DELIVER_NOTIFICATION,
        due_at=due_at,
        payload={"messageId": message_id, "attempt": number},
        now=now,
    )


# Built once: made per call with inline values, Core would compute a new cache key each time.
_INSERT_MESSAGE = insert(outbox_messages)


def _insert(
    conn: Connection,
    *,
    kind: MessageKind,
    campaign_id: int,
    order_id: int | None,
    payload: dict[str, Any],
    notification_url: str | None,
    state: MessageState,
    now: datetime,
    next_attempt_at: datetime | None = None,
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


def list_messages(
    conn: Connection, *, campaign_id: int | None = None, order_id: int | None = None
) -> OutboxListing:
    """The sandbox view: messages oldest first, each with its attempts in order."""
    messages = select(outbox_messages)
    if campaign_id is not None:
        messages = messages.where(outbox_messages.c.campaign_id == campaign_id)
    if order_id is not None:
        messages = messages.where(outbox_messages.c.order_id == order_id)
    chosen = messages.with_only_columns(outbox_messages.c.id).scalar_subquery()
    attempts: dict[int, list[OutboxAttempt]] = {}
    for row in conn.execute(
        select(outbox_attempts)
        .where(outbox_attempts.c.message_id.in_(chosen))
        .order_by(outbox_attempts.c.message_id, outbox_attempts.c.number)
    ):
        attempts.setdefault(row.message_id, []).append(_attempt(row._mapping))
    rows = conn.execute(messages.order_by(outbox_messages.c.created_at, outbox_messages.c.id))
    return OutboxListing(
        messages=[
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
    )


def _attempt(row: RowMapping) -> OutboxAttempt:
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
