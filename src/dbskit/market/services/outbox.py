"""The outbox: every e-mail and API notification the Market sends, recorded with the change that
causes it.

``record_email`` and ``record_notification`` run inside the caller's write transaction, with the
caller's ``now`` and explicit values, so a message exists exactly when the order change commits.
A notification for a campaign with a notification URL gets its first delivery attempt scheduled
at ``now`` (the sender in ``notification_sender`` makes it and schedules the retries).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from dbskit.contract.notifications import Notification, payload_json
from dbskit.contract.outbox import MessageKind, MessageState, OutboxListing, OutboxMessage
from dbskit.database.db import Database, Transaction
from dbskit.database.values import from_micros, to_micros
from dbskit.market.domain.query_log import PagePosition
from dbskit.market.storage.outbox import insert_message, load_messages, message_page
from dbskit.market.storage.scheduled_events import schedule, schedule_many

DELIVER_NOTIFICATION = "notification.deliver"  # the scheduled-event kind of one attempt
# A page of the outbox: the default and the most one may ask for (ours: what a browser shows).
OUTBOX_PAGE: Final = 50
OUTBOX_PAGE_MAX: Final = 200


def record_email(
    conn: Transaction,
    *,
    campaign_id: int,
    order_id: int | None,
    payload: Mapping[str, Any],
    now: datetime,
) -> int:
    """A buyer e-mail the Market sends (for example the digital keys, R-011). Returns its id."""
    return insert_message(
        conn,
        kind=MessageKind.EMAIL,
        campaign_id=campaign_id,
        order_id=order_id,
        payload=dict(payload),
        notification_url=None,
        state=MessageState.SENT,
        now=now,
        next_attempt_at=None,
    )


def record_notification(
    conn: Transaction,
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
    message_id = insert_message(
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
    conn: Transaction, *, message_id: int, number: int, due_at: datetime, now: datetime
) -> None:
    schedule(
        conn,
        kind=DELIVER_NOTIFICATION,
        due_at=due_at,
        payload=attempt_payload(message_id, number),
        now=now,
    )


def schedule_attempts(
    conn: Transaction, attempts: Sequence[tuple[int, int, datetime]], *, now: datetime
) -> None:
    """Attempts as (message id, attempt number, due at), in one ``executemany``."""
    schedule_many(
        conn,
        kind=DELIVER_NOTIFICATION,
        events=[
            (due_at, attempt_payload(message_id, number)) for message_id, number, due_at in attempts
        ],
        now=now,
    )


def attempt_payload(message_id: int, number: int) -> dict[str, int]:
    """The scheduled event's payload for attempt ``number`` of a message."""
    return {"messageId": message_id, "attempt": number}


def attempt_of(payload: Mapping[str, Any]) -> tuple[int, int]:
    """(message id, attempt number) from ``attempt_payload``'s payload."""
    return int(payload["messageId"]), int(payload["attempt"])


def list_messages(
    conn: Transaction, *, campaign_id: int | None = None, order_id: int | None = None
) -> OutboxListing:
    """The sandbox view: messages oldest first, each with its attempts in order."""
    return OutboxListing(messages=load_messages(conn, campaign_id=campaign_id, order_id=order_id))


async def read_outbox(
    db: Database, *, campaign_id: int | None = None, order_id: int | None = None
) -> OutboxListing:
    """``list_messages`` in a read transaction of its own (``GET /sandbox/outbox``)."""
    return await db.run_read(
        lambda conn: list_messages(conn, campaign_id=campaign_id, order_id=order_id)
    )


@dataclass(frozen=True, slots=True)
class OutboxPage:
    """Messages newest first (creation time, then id); ``next_cursor`` None on the last page."""

    messages: list[OutboxMessage]
    next_cursor: str | None


async def read_outbox_page(
    db: Database,
    *,
    campaign_id: int | None = None,
    order_id: int | None = None,
    limit: int = OUTBOX_PAGE,
    cursor: str | None = None,
) -> OutboxPage:
    """A page of the outbox, newest first, each message with its attempts. ``limit`` is clamped
    to 1..``OUTBOX_PAGE_MAX``; ``cursor`` is a page's ``next_cursor``, and one this server did not
    give raises ``InvalidPageToken`` (a ``ValueError``)."""
    limit = max(1, min(OUTBOX_PAGE_MAX, limit))
    after = None if cursor is None else _position(cursor)
    # One message more than the page tells whether another page follows.
    found = await db.run_read(
        lambda conn: message_page(
            conn, campaign_id=campaign_id, order_id=order_id, after=after, limit=limit + 1
        )
    )
    page = found[:limit]
    next_cursor = None
    if len(found) > limit:
        last = page[-1]
        next_cursor = PagePosition(to_micros(last.created_at), last.id).token()
    return OutboxPage(messages=page, next_cursor=next_cursor)


def _position(cursor: str) -> tuple[datetime, int]:
    """Where the page of ``cursor`` starts (``PagePosition.from_token`` checks its range)."""
    position = PagePosition.from_token(cursor)
    return from_micros(position.at_us), position.entry_id
