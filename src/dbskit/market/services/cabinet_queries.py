"""What the cabinet reads: orders listed with a seller's filters, an order's whole story as one
timeline, its keys a page at a time, and the query log with filters and each entry's bodies.

Reads only: nothing here writes. Every function is async and runs its SQL in a worker thread,
the Market's tables through ``runtime.db`` and the query log through ``runtime.log_db`` (on
SQLite a file of its own). Pages are keyset pages: a page's ``next_cursor`` is an opaque token
that gives the next page when passed back as ``cursor``; a cursor this server did not issue
raises ``InvalidCursor`` (a ``ValueError``), which a page answers as a bad request. Times are
the sandbox clock's; the query log shows only what the retention period (R-111) keeps.

Changed since the first version of this module: ``QueryLogEntryView`` has no ``extra`` field
(``fault_rule_id`` is always given); the row and filter types are defined in
``storage.cabinet_reads`` and re-exported here under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from dbskit.contract import limits
from dbskit.contract.outbox import MessageKind, OutboxMessage
from dbskit.database.db import Transaction
from dbskit.database.values import from_micros, to_micros
from dbskit.market.domain.order import Order
from dbskit.market.domain.query_log import InvalidPageToken, PagePosition
from dbskit.market.domain.slip import sanitise_slip
from dbskit.market.services.outbox import list_messages
from dbskit.market.storage.cabinet_reads import (
    OrderFilter,
    OrderSummary,
    QueryLogEntryView,
    QueryLogFilter,
    QueryLogRow,
    count_entries,
    log_entry,
    log_page,
    order_page,
    order_summary,
)
from dbskit.market.storage.digital_keys import StoredKeys, load_keys
from dbskit.market.storage.order_warnings import warnings_of_order
from dbskit.market.storage.orders import load_order
from dbskit.market.storage.status_history import Actor, status_history
from dbskit.market.storage.tracks import track_history

if TYPE_CHECKING:
    from dbskit.market.runtime import Runtime

__all__ = [
    "Actor",
    "DeliveredKey",
    "InvalidCursor",
    "KeyBatch",
    "KeysPage",
    "OrderFilter",
    "OrderListPage",
    "OrderSummary",
    "OrderTimeline",
    "QueryLogEntryView",
    "QueryLogFilter",
    "QueryLogPage",
    "QueryLogRow",
    "TimelineCounts",
    "TimelineEvent",
    "TimelineKind",
    "list_orders",
    "order_keys_page",
    "order_timeline",
    "query_log_entry",
    "query_log_page",
]

InvalidCursor = InvalidPageToken  # a page token this server did not issue (a ValueError)

# Page sizes: the default and the most a page may ask for (ours: what a browser shows at once).
ORDERS_PAGE: Final = 50
ORDERS_PAGE_MAX: Final = 200
QUERY_LOG_PAGE: Final = 50
QUERY_LOG_PAGE_MAX: Final = 200
KEYS_PAGE: Final = 500
# A page may hold as many keys as one item takes (limits.DIGITAL_CODES_MAX, R-005).
KEYS_PAGE_MAX: Final = limits.DIGITAL_CODES_MAX
# Partner API calls on an order the timeline lists at most, the newest; the rest are counted and
# the query log filtered by the order has them all.
TIMELINE_CALLS_SHOWN: Final = 200


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    """Where the page of ``cursor`` starts; ``PagePosition.from_token`` refuses (``InvalidCursor``)
    a token this server did not give, one out of every stored range included."""
    if cursor is None:
        return None
    position = PagePosition.from_token(cursor)
    return from_micros(position.at_us), position.entry_id


def _cursor(at: datetime, row_id: int) -> str:
    return PagePosition(to_micros(at), row_id).token()


# --- the orders list ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderListPage:
    """Orders newest first (by creation time, then id); ``next_cursor`` None on the last page."""

    orders: list[OrderSummary]
    next_cursor: str | None


async def list_orders(
    runtime: Runtime,
    order_filter: OrderFilter,
    *,
    limit: int = ORDERS_PAGE,
    cursor: str | None = None,
) -> OrderListPage:
    """A page of the orders that pass ``order_filter``, newest first. ``limit`` is clamped to
    1..``ORDERS_PAGE_MAX``."""
    limit = _clamp(limit, 1, ORDERS_PAGE_MAX)
    after = _position(cursor)
    # One order more than the page tells whether another page follows.
    found = await runtime.db.run_read(
        lambda conn: order_page(conn, order_filter, after=after, limit=limit + 1)
    )
    page = found[:limit]
    next_cursor = _cursor(page[-1].created_at, page[-1].id) if len(found) > limit else None
    return OrderListPage(orders=page, next_cursor=next_cursor)


# --- an order's timeline ------------------------------------------------------------------------


class TimelineKind(StrEnum):
    PLACED = "PLACED"  # the order was placed, in its first status
    STATUS = "STATUS"  # a change of status or substatus
    CANCELLATION_REQUEST = "CANCELLATION_REQUEST"  # the buyer asked to cancel, open
    KEYS = "KEYS"  # keys received (deliverDigitalGoods): first, and as last replaced
    EMAIL = "EMAIL"  # an e-mail to the buyer in the outbox (the keys, as rendered)
    NOTIFICATION = "NOTIFICATION"  # an API notification to the store, with each attempt
    TRACK = "TRACK"  # a track code set
    MARKING = "MARKING"  # the order's marking codes, as they are now
    WARNING = "WARNING"  # a warning about an accepted call
    CALL = "CALL"  # a Partner API call on the order (its query-log entry, without bodies)


# Events at the same moment (one transaction's, or the frozen clock's), causes before effects: the
# order placed, the call, what the call stored, the e-mail, the status change it led to, and the
# notifications of that change. Events of one kind keep the order they were written in.
_CAUSE_FIRST: Final = {
    kind: rank
    for rank, kind in enumerate(
        [
            TimelineKind.PLACED,
            TimelineKind.CALL,
            TimelineKind.CANCELLATION_REQUEST,
            TimelineKind.KEYS,
            TimelineKind.TRACK,
            TimelineKind.MARKING,
            TimelineKind.WARNING,
            TimelineKind.EMAIL,
            TimelineKind.STATUS,
            TimelineKind.NOTIFICATION,
        ]
    )
}


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event of an order's story. ``actor``: who placed or moved the order (PLACED, STATUS),
    the buyer who asked to cancel, the seller who made a CALL; None for what the Market kept
    (keys, e-mails, notifications, tracks, marking codes, warnings). ``detail`` holds the
    event's values as plain JSON values, as stored (render them escaped); ``ref`` points to what
    holds more: the query-log entry id of a CALL (for ``query_log_entry``), the outbox message
    id of an EMAIL or NOTIFICATION, None otherwise."""

    at: datetime
    kind: TimelineKind
    actor: Actor | None
    title: str
    detail: dict[str, object]
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class TimelineCounts:
    """Counts of the parts the timeline does not hold whole: the keys (``order_keys_page``
    pages them) and the Partner API calls on the order (the newest ``TIMELINE_CALLS_SHOWN`` are
    events; the query log filtered by the order has every one); and of the other events."""

    keys: int
    calls: int
    calls_shown: int
    status_changes: int
    notifications: int
    emails: int


@dataclass(frozen=True, slots=True)
class OrderTimeline:
    """An order's summary, the order itself (items, delivery, buyer) and its events in
    sandbox-clock order (at the same moment, causes before effects: ``_CAUSE_FIRST``)."""

    summary: OrderSummary
    order: Order
    events: list[TimelineEvent]
    counts: TimelineCounts


@dataclass(frozen=True, slots=True)
class _OrderStory:
    summary: OrderSummary
    order: Order
    events: list[TimelineEvent]
    keys: int
    status_changes: int
    notifications: int
    emails: int


async def order_timeline(runtime: Runtime, order_id: int) -> OrderTimeline | None:
    """The order's timeline; None when there is no such order. Two reads: the order's story in
    one transaction, then its calls from the query log."""
    story = await runtime.db.run_read(lambda conn: _order_story(conn, order_id))
    if story is None:
        return None
    calls_filter = QueryLogFilter(order_id=order_id, since=_log_since(runtime))

    def read_calls(conn: Transaction) -> tuple[int, list[QueryLogRow]]:
        shown = log_page(conn, calls_filter, after=None, limit=TIMELINE_CALLS_SHOWN)
        total = len(shown)
        if total == TIMELINE_CALLS_SHOWN:
            total = count_entries(conn, calls_filter)
        return total, shown

    calls, shown = await runtime.log_db.run_read(read_calls)
    events = [*story.events, *(_call_event(call) for call in shown)]
    events.sort(key=lambda event: (event.at, _CAUSE_FIRST[event.kind]))
    return OrderTimeline(
        summary=story.summary,
        order=story.order,
        events=events,
        counts=TimelineCounts(
            keys=story.keys,
            calls=calls,
            calls_shown=len(shown),
            status_changes=story.status_changes,
            notifications=story.notifications,
            emails=story.emails,
        ),
    )


def _log_since(runtime: Runtime) -> datetime:
    return runtime.clock.now() - runtime.query_log.retention


def _order_story(conn: Transaction, order_id: int) -> _OrderStory | None:
    summary = order_summary(conn, order_id)
    if summary is None:
        return None
    order = load_order(conn, campaign_id=summary.campaign_id, order_id=order_id)
    if order is None:  # deleted between the two statements of a read without a snapshot
        return None
    events: list[TimelineEvent] = []
    changes = status_history(conn, order_id)
    for change in changes:
        placed = change.from_status is None
        events.append(
            TimelineEvent(
                at=change.at,
                kind=TimelineKind.PLACED if placed else TimelineKind.STATUS,
                actor=change.actor,
                title=_status_text(change.to_status, change.to_substatus),
                detail={
                    "from_status": change.from_status,
                    "from_substatus": change.from_substatus,
                    "to_status": change.to_status,
                    "to_substatus": change.to_substatus,
                },
            )
        )
    if order.cancellation_requested_at is not None:
        events.append(
            TimelineEvent(
                at=order.cancellation_requested_at,
                kind=TimelineKind.CANCELLATION_REQUEST,
                actor=Actor.BUYER,
                title="the buyer asked to cancel",
                detail={"reason": order.cancellation_request_substatus},
            )
        )
    stored = load_keys(conn, order_id)
    if stored is not None:
        events.extend(_key_events(stored))
    for record in track_history(conn, order_id):
        events.append(
            TimelineEvent(
                at=record.set_at,
                kind=TimelineKind.TRACK,
                actor=None,
                title=f"track {record.track.track_code}",
                detail={
                    "track_code": record.track.track_code,
                    "delivery_service_id": record.track.delivery_service_id,
                    "current": record.current,
                },
            )
        )
    marking = _marking_event(order)
    if marking is not None:
        events.append(marking)
    for stored_warning in warnings_of_order(conn, order_id):
        events.append(
            TimelineEvent(
                at=stored_warning.at,
                kind=TimelineKind.WARNING,
                actor=None,
                title=stored_warning.warning.code,
                detail={
                    "operation_id": stored_warning.operation_id,
                    "code": stored_warning.warning.code,
                    "rule": stored_warning.warning.rule,
                    "message": stored_warning.warning.message,
                },
            )
        )
    messages = list_messages(conn, campaign_id=summary.campaign_id, order_id=order_id).messages
    events.extend(_message_event(message) for message in messages)
    emails = sum(1 for message in messages if message.kind is MessageKind.EMAIL)
    return _OrderStory(
        summary=summary,
        order=order,
        events=events,
        keys=_key_count(stored),
        status_changes=sum(1 for change in changes if change.from_status is not None),
        notifications=len(messages) - emails,
        emails=emails,
    )


def _status_text(status: object, substatus: object | None) -> str:
    return f"{status}/{substatus}" if substatus else str(status)


def _key_count(stored: StoredKeys | None) -> int:
    if stored is None:
        return 0
    return sum(len(batch.codes) for item in stored.submission.items for batch in item.batches)


def _key_events(stored: StoredKeys) -> list[TimelineEvent]:
    detail: dict[str, object] = {
        "keys": _key_count(stored),
        "items": [item.item_id for item in stored.submission.items],
        "email_due_at": stored.email_due_at.isoformat(),
        "late_by_seconds": stored.late_by.total_seconds() if stored.late_by else None,
    }
    events = [
        TimelineEvent(
            at=stored.first_accepted_at,
            kind=TimelineKind.KEYS,
            actor=None,
            title="keys received",
            detail={**detail, "replaced": False},
        )
    ]
    if stored.accepted_calls > 1:  # OQ-01: each replacement stored the keys anew
        events.append(
            TimelineEvent(
                at=stored.accepted_at,
                kind=TimelineKind.KEYS,
                actor=None,
                title="keys replaced",
                detail={
                    **detail,
                    "replaced": True,
                    "replacements": stored.accepted_calls - 1,
                    "identical_repeats": stored.repeated_calls,
                },
            )
        )
    return events


def _marking_event(order: Order) -> TimelineEvent | None:
    units = [
        {"item_id": item.id, "unit": position, "type": code.kind, "code": code.value}
        for item in order.items
        for position, code in enumerate(item.instances, start=1)
    ]
    if not units:
        return None
    # The codes keep no time of their own: they are as of the order's last change.
    return TimelineEvent(
        at=order.updated_at,
        kind=TimelineKind.MARKING,
        actor=None,
        title=f"{len(units)} marking codes",
        detail={"units": units},
    )


def _message_event(message: OutboxMessage) -> TimelineEvent:
    email = message.kind is MessageKind.EMAIL
    detail: dict[str, object] = {
        "state": message.state,
        "payload": message.payload,
        "notification_url": message.notification_url,
        "next_attempt_at": message.next_attempt_at.isoformat() if message.next_attempt_at else None,
        "attempts": [
            {
                "number": attempt.number,
                "attempted_at": attempt.attempted_at.isoformat(),
                "url": attempt.url,
                "duration_ms": attempt.duration_ms,
                "result": attempt.result,
                "http_status": attempt.http_status,
                "error_type": attempt.error_type,
                "error_subtype": attempt.error_subtype,
                "message": attempt.message,
                "answer": attempt.answer,
            }
            for attempt in message.attempts
        ],
    }
    title = str(message.payload.get("subject", "e-mail")) if email else _notification_title(message)
    return TimelineEvent(
        at=message.created_at,
        kind=TimelineKind.EMAIL if email else TimelineKind.NOTIFICATION,
        actor=None,
        title=title,
        detail=detail,
        ref=str(message.id),
    )


def _notification_title(message: OutboxMessage) -> str:
    kind = message.payload.get("notificationType")
    return f"notification {kind}" if kind else "notification"


def _call_event(call: QueryLogRow) -> TimelineEvent:
    return TimelineEvent(
        at=call.at,
        kind=TimelineKind.CALL,
        actor=Actor.SELLER,
        title=f"{call.operation_id or call.method} → {call.status}",
        detail={
            "entry_id": call.id,
            "operation_id": call.operation_id,
            "method": call.method,
            "path": call.path,
            "status": call.status,
            "fault": call.fault,
        },
        ref=str(call.id),
    )


# --- an order's keys ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveredKey:
    """One key as last accepted: its item, its batch (``KeysPage.batches``), its place."""

    item_id: int
    batch: int  # the batch's number within the item, from 0
    position: int  # the key's place in the whole delivery, from 0
    code: str


@dataclass(frozen=True, slots=True)
class KeyBatch:
    """A batch the page's keys belong to: its activation date and slip (as sent, and sanitised
    as the buyer's e-mail shows it)."""

    item_id: int
    offer_id: str | None
    batch: int
    activate_till: date | None
    slip: str
    slip_rendered: str
    codes: int  # keys in the whole batch


@dataclass(frozen=True, slots=True)
class KeysPage:
    """Keys ``offset`` .. ``offset + len(keys)`` of ``total`` (0 when none were delivered)."""

    order_id: int
    total: int
    offset: int
    keys: list[DeliveredKey]
    batches: list[KeyBatch]


async def order_keys_page(
    runtime: Runtime, order_id: int, *, offset: int = 0, limit: int = KEYS_PAGE
) -> KeysPage | None:
    """A page of the order's keys as last accepted, in the order sent; None when there is no
    such order. ``limit`` is clamped to 1..``KEYS_PAGE_MAX``, ``offset`` to 0 and above."""
    offset = max(0, offset)
    limit = _clamp(limit, 1, KEYS_PAGE_MAX)

    def read(conn: Transaction) -> KeysPage | None:
        summary = order_summary(conn, order_id)
        if summary is None:
            return None
        stored = load_keys(conn, order_id)
        order = load_order(conn, campaign_id=summary.campaign_id, order_id=order_id)
        return _keys_page(order_id, stored, order, offset=offset, limit=limit)

    return await runtime.db.run_read(read)


def _keys_page(
    order_id: int, stored: StoredKeys | None, order: Order | None, *, offset: int, limit: int
) -> KeysPage:
    keys: list[DeliveredKey] = []
    batches: list[KeyBatch] = []
    position = 0
    end = offset + limit
    if stored is not None:
        for item in stored.submission.items:
            ordered = order.item(item.item_id) if order else None
            for number, batch in enumerate(item.batches):
                first, position = position, position + len(batch.codes)
                if position <= offset or first >= end:
                    continue
                batches.append(
                    KeyBatch(
                        item_id=item.item_id,
                        offer_id=ordered.offer_id if ordered else None,
                        batch=number,
                        activate_till=batch.activate_till,
                        slip=batch.slip,
                        slip_rendered=sanitise_slip(batch.slip),
                        codes=len(batch.codes),
                    )
                )
                start = max(offset, first)
                for place in range(start, min(end, position)):
                    keys.append(
                        DeliveredKey(item.item_id, number, place, batch.codes[place - first])
                    )
    return KeysPage(order_id=order_id, total=position, offset=offset, keys=keys, batches=batches)


# --- the query log ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryLogPage:
    """Entries newest first (by time, then id); ``next_cursor`` None on the last page."""

    entries: list[QueryLogRow]
    next_cursor: str | None


async def query_log_page(
    runtime: Runtime,
    log_filter: QueryLogFilter,
    *,
    limit: int = QUERY_LOG_PAGE,
    cursor: str | None = None,
) -> QueryLogPage:
    """A page of the entries that pass ``log_filter``, newest first, without bodies. ``limit``
    is clamped to 1..``QUERY_LOG_PAGE_MAX``."""
    limit = _clamp(limit, 1, QUERY_LOG_PAGE_MAX)
    after = _position(cursor)
    kept_since = _log_since(runtime)
    if log_filter.since is None or log_filter.since < kept_since:
        log_filter = replace(log_filter, since=kept_since)
    found = await runtime.log_db.run_read(
        lambda conn: log_page(conn, log_filter, after=after, limit=limit + 1)
    )
    page = found[:limit]
    next_cursor = _cursor(page[-1].at, page[-1].id) if len(found) > limit else None
    return QueryLogPage(entries=page, next_cursor=next_cursor)


async def query_log_entry(runtime: Runtime, entry_id: int) -> QueryLogEntryView | None:
    """One entry with its headers and bodies as stored (never cut here); None when there is
    none, or it is past the retention period."""
    entry = await runtime.log_db.run_read(lambda conn: log_entry(conn, entry_id))
    if entry is None or entry.row.at < _log_since(runtime):
        return None
    return entry
