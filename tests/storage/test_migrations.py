"""Migrations that move data keep it: upgraded and downgraded on a database holding some."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from dbskit.settings import normalise_database_url
from dbskit.storage import migrations
from dbskit.storage.db import Database
from dbskit.storage.orders import insert_order, load_order
from tests.storage.conftest import insert_shop
from tests.unit.factories import make_order


def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))
    with db.write() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def _track(conn: sa.Connection, order_id: int, campaign_id: int, code: str, current: bool) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO order_tracks (order_id, campaign_id, track_code, track_hash,"
            ' delivery_service_id, set_at, "current")'
            " VALUES (:o, :c, :code, :hash, 51, 0, :current)"
        ),
        {"o": order_id, "c": campaign_id, "code": code, "hash": code * 4, "current": current},
    )


@pytest.mark.rule("OQ-06", "R-021")
def test_0011_moves_the_current_track_to_the_order_and_back(database_url: str) -> None:
    """OQ-06: the order keeps showing the track it had; its history keeps every track."""
    db = Database(normalise_database_url(database_url))
    try:
        _migrate(db, "0010")
        campaign = insert_shop(db)
        with db.write() as conn:
            tracked = make_order(id=53_000_000_001, campaign_id=campaign)
            untracked = make_order(id=53_000_000_002, campaign_id=campaign)
            insert_order(conn, tracked)
            insert_order(conn, untracked)
            _track(conn, tracked.id, campaign, "RA1", current=False)
            _track(conn, tracked.id, campaign, "RA2", current=True)

        _migrate(db, "0011")
        with db.read() as conn:
            found = load_order(conn, campaign_id=campaign, order_id=tracked.id)
            plain = load_order(conn, campaign_id=campaign, order_id=untracked.id)
            history = conn.execute(sa.text("SELECT track_code FROM order_tracks ORDER BY id"))
            assert [row.track_code for row in history] == ["RA1", "RA2"]
        assert found is not None and found.track is not None
        assert (found.track.track_code, found.track.delivery_service_id) == ("RA2", 51)
        assert plain is not None and plain.track is None

        _migrate(db, "0010", down=True)
        with db.read() as conn:
            rows = conn.execute(
                sa.text('SELECT track_code, "current" FROM order_tracks ORDER BY id')
            ).all()
        assert [(code, bool(current)) for code, current in rows] == [("RA1", False), ("RA2", True)]
    finally:
        db.dispose()
