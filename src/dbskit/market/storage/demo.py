"""The demo's one row (``demo_access``, id 1): the business, campaign and token made on first
start, and the lock that makes instances starting together create it one at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, insert, select, update

from dbskit.database.db import Transaction
from dbskit.market.storage.tables import demo_access

_ROW = 1
_ADVISORY_LOCK = 7300418  # PostgreSQL: instances starting together make the demo one at a time


@dataclass(frozen=True, slots=True)
class DemoRecord:
    business_id: int
    campaign_id: int
    token_id: int


_LOCK = select(func.pg_advisory_xact_lock(_ADVISORY_LOCK))
_DEMO = select(demo_access.c.business_id, demo_access.c.campaign_id, demo_access.c.token_id).where(
    demo_access.c.id == _ROW
)
_INSERT = insert(demo_access).values(id=_ROW)
_SET_TOKEN = (
    update(demo_access).where(demo_access.c.id == _ROW).values(token_id=bindparam("new_token_id"))
)


def lock_demo(conn: Transaction) -> None:
    """Hold the demo's lock to the end of the transaction. On SQLite the write transaction holds
    the database lock already; on PostgreSQL an advisory lock stands in for the row that may not
    exist yet."""
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK)


def load_demo(conn: Transaction) -> DemoRecord | None:
    row = conn.execute(_DEMO).first()
    return None if row is None else DemoRecord(row.business_id, row.campaign_id, row.token_id)


def insert_demo(conn: Transaction, demo: DemoRecord) -> None:
    conn.execute(
        _INSERT,
        {
            "business_id": demo.business_id,
            "campaign_id": demo.campaign_id,
            "token_id": demo.token_id,
        },
    )


def set_demo_token(conn: Transaction, token_id: int) -> None:
    conn.execute(_SET_TOKEN, {"new_token_id": token_id})
