"""Events waiting for the sandbox clock (``market.services.scheduler`` runs them).

An event is claimed by setting ``done_at`` only while it is still unset, so instances sharing the
database never run one twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from dbskit.database.db import Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import json_text, to_micros
from dbskit.market.storage.tables import scheduled_events

DUE_BATCH = 100  # events read at a time; the scheduler reads again until none is due


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
_DUE = (
    select(_event.id, _event.kind, _event.due_at, _event.payload)
    .where(_event.done_at.is_(None), _event.due_at <= bindparam("now"))
    .order_by(_event.due_at, _event.id)
    .limit(DUE_BATCH)
)
_CLAIM = (
    update(scheduled_events)
    .where(_event.id == bindparam("event_id"), _event.done_at.is_(None))
    .values(done_at=bindparam("claimed_at"))
)
_RECORD_OUTCOME = (
    update(scheduled_events)
    .where(_event.id == bindparam("event_id"))
    .values(outcome=bindparam("event_outcome"))
)


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


def due_events(conn: Transaction, now: datetime) -> list[ScheduledEvent]:
    """Up to ``DUE_BATCH`` unclaimed events due at ``now``, earliest first."""
    rows = conn.execute(_DUE, {"now": now})
    return [ScheduledEvent(row.id, row.kind, row.due_at, row.payload) for row in rows]


def claim_event(conn: Transaction, event_id: int, now: datetime) -> bool:
    """Mark the event done at ``now``; False when another run claimed it first."""
    return conn.execute(_CLAIM, {"event_id": event_id, "claimed_at": now}).rowcount == 1


def record_outcome(conn: Transaction, event_id: int, outcome: str) -> None:
    conn.execute(_RECORD_OUTCOME, {"event_id": event_id, "event_outcome": outcome})
