"""Events waiting for the sandbox clock (``market.services.scheduler`` runs them).

An event is claimed by setting ``done_at`` only while it is still unset, so instances sharing the
database never run one twice. Claims and outcomes are written many at a time: one statement
claims a whole round of due events, one ``executemany`` records their outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from dbskit.database.db import Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import json_text, to_micros
from dbskit.market.storage.tables import scheduled_events

# Events claimed by one write and run as one round. A round holds at most one attempt of each
# notification (the next exists once the round is written): 500 runs 359 failing notifications,
# the clock benchmark's, one round per attempt (docs/benchmarks.md, "The sandbox clock").
DUE_BATCH = 500


@dataclass(frozen=True, slots=True)
class ScheduledEvent:
    id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any]


_event = scheduled_events.c

# Built once: made per call with inline values, Core would compute a new cache key each time.
# On the driver's cursor (driver_statements.py): deliverDigitalGoods schedules its e-mail.
_INSERT_EVENT = DriverStatement(insert(scheduled_events).returning(_event.id))
_INSERT_EVENTS = insert(scheduled_events)
# The earliest due events not yet claimed, claimed in the same statement: the outer condition
# on ``done_at`` keeps the claim conditional, and on PostgreSQL ``SKIP LOCKED`` lets another
# instance's round take the next events instead of waiting for this one's (SQLite's writers
# take turns, and it leaves the clause out).
_DUE_IDS = (
    select(_event.id)
    .where(_event.done_at.is_(None), _event.due_at <= bindparam("now"))
    .order_by(_event.due_at, _event.id)
    .limit(DUE_BATCH)
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
_CLAIM_DUE = (
    update(scheduled_events)
    .where(_event.id.in_(_DUE_IDS), _event.done_at.is_(None))
    .values(done_at=bindparam("claimed_at"))
    .returning(_event.id, _event.kind, _event.due_at, _event.payload)
)
_RECORD_OUTCOME = (
    update(scheduled_events)
    .where(_event.id == bindparam("event_id"))
    .values(outcome=bindparam("event_outcome"))
)
_WAITING = select(func.count()).where(_event.done_at.is_(None), _event.due_at > bindparam("now"))


def schedule(
    conn: Transaction, *, kind: str, due_at: datetime, payload: dict[str, Any], now: datetime
) -> int:
    """Add an event inside the caller's transaction (so it exists only if the change commits)."""
    ((event_id,),) = _INSERT_EVENT.rows(
        conn,
        {
            "kind": kind,
            "due_at": to_micros(due_at),
            "payload": json_text(payload),
            "created_at": to_micros(now),
        },
    )
    return int(event_id)


def schedule_many(
    conn: Transaction,
    *,
    kind: str,
    events: Sequence[tuple[datetime, dict[str, Any]]],
    now: datetime,
) -> None:
    """``schedule`` for many events of one kind, each given as (due at, payload), in one
    ``executemany``."""
    if events:
        conn.execute(
            _INSERT_EVENTS,
            [
                {"kind": kind, "due_at": due_at, "payload": payload, "created_at": now}
                for due_at, payload in events
            ],
        )


def claim_due(conn: Transaction, now: datetime) -> list[ScheduledEvent]:
    """Claim up to ``DUE_BATCH`` events due at ``now`` that nobody claimed yet, earliest first
    (by due time, then by id: the order they were scheduled in)."""
    rows = conn.execute(_CLAIM_DUE, {"now": now, "claimed_at": now})
    events = [ScheduledEvent(row.id, row.kind, row.due_at, row.payload) for row in rows]
    events.sort(key=lambda event: (event.due_at, event.id))  # RETURNING promises no order
    return events


def record_outcomes(conn: Transaction, outcomes: Sequence[tuple[int, str]]) -> None:
    """What each claimed event did, as (event id, outcome)."""
    if outcomes:
        conn.execute(
            _RECORD_OUTCOME,
            [{"event_id": event_id, "event_outcome": outcome} for event_id, outcome in outcomes],
        )


def count_waiting(conn: Transaction, now: datetime) -> int:
    """Events not yet run that are due after ``now``."""
    return int(conn.execute(_WAITING, {"now": now}).scalar_one())
