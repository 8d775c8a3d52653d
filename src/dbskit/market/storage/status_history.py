"""Each order's status history (``order_status_history``): one row per change of status or
substatus, and one for the status an order was placed in, written in the transaction of the
change (``orders.save_order`` and ``orders.insert_order`` write it: no path that changes a
status can leave it out).

Who made a change (``Actor``): ``SELLER`` a Partner API call of the store, ``MARKET`` the
Market's own rules (what the scheduler runs when it falls due, a deadline a call missed),
``BUYER`` the buyer (the sandbox's buyer triggers), ``SANDBOX`` the control plane (a test order
placed, a scenario loaded, an order moved through ``/sandbox``). Times are the sandbox clock's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, insert, select

from dbskit.contract.enums import OrderStatus, OrderSubstatus
from dbskit.database.db import Transaction
from dbskit.market.storage.tables import order_status_history


class Actor(StrEnum):
    SELLER = "SELLER"
    MARKET = "MARKET"
    BUYER = "BUYER"
    SANDBOX = "SANDBOX"


@dataclass(frozen=True, slots=True)
class StatusChangeRecord:
    """One change: from (None for the status the order was placed in) and to, when, by whom."""

    id: int
    order_id: int
    at: datetime
    actor: Actor
    from_status: OrderStatus | None
    from_substatus: OrderSubstatus | None
    to_status: OrderStatus
    to_substatus: OrderSubstatus | None


_h = order_status_history.c
# Built once: a statement built per call would cost Core a fresh cache key each time.
_INSERT = insert(order_status_history)
_OF_ORDER = select(order_status_history).where(_h.order_id == bindparam("order_id")).order_by(_h.id)


def record_status_change(
    conn: Transaction,
    *,
    order_id: int,
    before: tuple[OrderStatus, OrderSubstatus | None] | None,
    after: tuple[OrderStatus, OrderSubstatus | None],
    at: datetime,
    actor: Actor,
) -> bool:
    """Record the move from ``before`` (None: the order was just placed) to ``after``, if it is
    one; returns whether a row was written."""
    if before == after:
        return False
    conn.execute(
        _INSERT,
        {
            "order_id": order_id,
            "at": at,
            "actor": actor.value,
            "from_status": before[0].value if before else None,
            "from_substatus": before[1].value if before and before[1] else None,
            "to_status": after[0].value,
            "to_substatus": after[1].value if after[1] else None,
        },
    )
    return True


def status_history(conn: Transaction, order_id: int) -> list[StatusChangeRecord]:
    """The order's changes, oldest first (in the order they were written)."""
    return [
        StatusChangeRecord(
            id=row.id,
            order_id=row.order_id,
            at=row.at,
            actor=Actor(row.actor),
            from_status=OrderStatus(row.from_status) if row.from_status else None,
            from_substatus=OrderSubstatus(row.from_substatus) if row.from_substatus else None,
            to_status=OrderStatus(row.to_status),
            to_substatus=OrderSubstatus(row.to_substatus) if row.to_substatus else None,
        )
        for row in conn.execute(_OF_ORDER, {"order_id": order_id})
    ]
