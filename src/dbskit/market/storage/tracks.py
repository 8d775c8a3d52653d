"""Track numbers of orders: the current one on the order's row, and the history (R-021, OQ-06)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from dbskit.contract.enums import OrderStatus
from dbskit.database.db import Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import to_micros
from dbskit.market.domain.order import Track
from dbskit.market.domain.tracking import TrackedOrder
from dbskit.market.storage.orders import OF_ORDER, order_params, touch_order
from dbskit.market.storage.tables import order_tracks, orders


@dataclass(frozen=True, slots=True)
class TrackRecord:
    track: Track
    set_at: datetime
    current: bool


def track_hash(track_code: str) -> str:
    return hashlib.sha256(track_code.encode()).hexdigest()


# delivery/track's statements run on the driver's cursor (database/driver_statements.py).
_TRACK_OF_ANOTHER_ORDER = DriverStatement(
    select(order_tracks.c.id)
    .where(
        order_tracks.c.campaign_id == bindparam("c_id"),
        order_tracks.c.track_hash == bindparam("hash"),
        order_tracks.c.track_code == bindparam("code"),
        order_tracks.c.order_id != bindparam("o_id"),
    )
    .limit(1)
)
_INSERT_TRACK = DriverStatement(insert(order_tracks))


# delivery/track reads only the order's own row, locked for the transaction (PostgreSQL; SQLite's
# write transaction holds the whole database): a statement that waited for the row lock reads
# the row as the transaction before it left it.
_TRACKED_ORDER = DriverStatement(
    select(
        orders.c.id,
        orders.c.campaign_id,
        orders.c.status,
        orders.c.track_code,
        orders.c.track_service_id,
    )
    .where(*OF_ORDER)
    .with_for_update()
)


def lock_tracked_order(
    conn: Transaction, *, campaign_id: int, order_id: int
) -> TrackedOrder | None:
    """The order's status and current track, its row locked until the transaction ends."""
    rows = _TRACKED_ORDER.rows(conn, order_params(campaign_id=campaign_id, order_id=order_id))
    if not rows:
        return None
    ((found_id, found_campaign, status, track_code, service_id),) = rows
    track = None if track_code is None else Track(track_code, service_id)
    return TrackedOrder(found_id, found_campaign, OrderStatus(status), track)


def track_used_by_another_order(
    conn: Transaction, *, campaign_id: int, order_id: int, track_code: str
) -> bool:
    """Whether another order of the campaign has (or had) this track code (OQ-06)."""
    rows = _TRACK_OF_ANOTHER_ORDER.rows(
        conn,
        {
            "c_id": campaign_id,
            "hash": track_hash(track_code),
            "code": track_code,
            "o_id": order_id,
        },
    )
    return bool(rows)


# PostgreSQL: the history's row and the order's in one statement, one round trip. SQLite has no
# INSERT inside WITH, and no round trips to save.
_TRACK_AND_ORDER = DriverStatement(
    update(orders)
    .where(orders.c.id == bindparam("o_id"))
    .values(
        updated_at=bindparam("now"),
        track_code=bindparam("code"),
        track_service_id=bindparam("service"),
    )
    .add_cte(
        insert(order_tracks)
        .values(
            order_id=bindparam("o_id"),
            campaign_id=bindparam("c_id"),
            track_code=bindparam("code"),
            track_hash=bindparam("hash"),
            delivery_service_id=bindparam("service"),
            set_at=bindparam("now"),
        )
        .cte("new_track")
    )
)


def set_current_track(
    conn: Transaction, *, order_id: int, campaign_id: int, track: Track, now: datetime
) -> None:
    """The new current track, added to the history; the order was updated ``now``."""
    if conn.dialect.name == "postgresql":
        _TRACK_AND_ORDER.run(
            conn,
            {
                "o_id": order_id,
                "c_id": campaign_id,
                "code": track.track_code,
                "hash": track_hash(track.track_code),
                "service": track.delivery_service_id,
                "now": to_micros(now),
            },
        )
        return
    _INSERT_TRACK.run(
        conn,
        {
            "order_id": order_id,
            "campaign_id": campaign_id,
            "track_code": track.track_code,
            "track_hash": track_hash(track.track_code),
            "delivery_service_id": track.delivery_service_id,
            "set_at": to_micros(now),
        },
    )
    touch_order(
        conn,
        order_id,
        now,
        track_code=track.track_code,
        track_service_id=track.delivery_service_id,
    )


def track_history(conn: Transaction, order_id: int) -> list[TrackRecord]:
    rows = conn.execute(
        select(order_tracks).where(order_tracks.c.order_id == order_id).order_by(order_tracks.c.id)
    )
    records = [
        TrackRecord(Track(row.track_code, row.delivery_service_id), row.set_at, current=False)
        for row in rows
    ]
    if records:  # the newest is the current one (OQ-06)
        records[-1] = replace(records[-1], current=True)
    return records
