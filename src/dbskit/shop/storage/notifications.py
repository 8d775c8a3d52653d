"""The notifications the store received, each kept once by its ``dedup_key``: a repeat of one
already received is recognised and never acted on twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from dbskit.database.db import Database, Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import json_text, to_micros
from dbskit.shop.storage.tables import notifications


@dataclass(frozen=True, slots=True)
class ReceivedNotification:
    id: int
    dedup_key: str
    type: str
    order_id: int | None
    campaign_id: int | None
    body: dict[str, Any]
    received_at: datetime


# Kept on the driver's cursor: Core cannot cache an INSERT with ON CONFLICT, so it compiled
# the statement for every notification, most of the write's CPU (docs/decisions.md, Storage).
_RECORD = {
    name: DriverStatement(
        insert(notifications)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(notifications.c.id)
    )
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


def record_received(
    tx: Transaction,
    *,
    dedup_key: str,
    type: str,  # the notification's own field name
    order_id: int | None,
    campaign_id: int | None,
    body: dict[str, Any],
    received_at: datetime,
) -> bool:
    """Keep a notification; False (nothing written) when ``dedup_key`` was received before."""
    inserted = _RECORD[tx.dialect.name].rows(
        tx,
        {
            "dedup_key": dedup_key,
            "type": type,
            "order_id": order_id,
            "campaign_id": campaign_id,
            "body": json_text(body),
            "received_at": to_micros(received_at),
        },
    )
    return bool(inserted)  # no row back: the dedup_key was there


_NEWEST_FIRST = select(notifications).order_by(notifications.c.id.desc())


def list_received(
    db: Database,
    *,
    order_id: int | None = None,
    type: str | None = None,  # the notification's own field name
    limit: int = 100,
) -> list[ReceivedNotification]:
    """The newest ``limit`` notifications received, of one order and/or type if given."""
    query = _NEWEST_FIRST
    if order_id is not None:
        query = query.where(notifications.c.order_id == bindparam("order_id"))
    if type is not None:
        query = query.where(notifications.c.type == bindparam("type"))
    with db.read() as conn:
        rows = conn.execute(query.limit(limit), {"order_id": order_id, "type": type})
        return [
            ReceivedNotification(
                id=row.id,
                dedup_key=row.dedup_key,
                type=row.type,
                order_id=row.order_id,
                campaign_id=row.campaign_id,
                body=row.body,
                received_at=row.received_at,
            )
            for row in rows
        ]
