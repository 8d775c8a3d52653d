"""The outbox a page at a time (``storage.outbox.message_page``) and migration 0017, which gives
the page its indexes: pages walked by their last (creation time, id) give every message once,
newest first, messages created at the same moment included; the migration keeps the messages and
goes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from dbskit.contract.outbox import MessageKind, MessageState
from dbskit.database.db import Database
from dbskit.market.storage import migrations
from dbskit.market.storage.outbox import insert_message, message_page
from dbskit.settings import normalise_database_url

START = datetime(2030, 3, 1, 12, tzinfo=UTC)
CAMPAIGNS = (21_000_001, 21_000_002)
ORDERS = (54_000_000_001, 54_000_000_002, 54_000_000_003)
PAGE_INDEXES = {
    "ix_outbox_messages_created",
    "ix_outbox_messages_campaign_created",
    "ix_outbox_messages_order_created",
}


def _fill(db: Database, count: int) -> list[tuple[datetime, int, int, int | None]]:
    """``count`` messages, three to a moment (ties on the creation time); (at, id, campaign,
    order) of each."""
    made = []
    with db.write() as conn:
        for n in range(count):
            at = START + timedelta(seconds=n // 3)
            campaign = CAMPAIGNS[n % 2]
            order = None if n % 5 == 0 else ORDERS[n % 3]
            message_id = insert_message(
                conn,
                kind=MessageKind.EMAIL,
                campaign_id=campaign,
                order_id=order,
                payload={"subject": f"message {n}"},
                notification_url=None,
                state=MessageState.SENT,
                now=at,
                next_attempt_at=None,
            )
            made.append((at, message_id, campaign, order))
    return made


def _walk(db: Database, *, limit: int, **only: int) -> list[int]:
    """Every page's ids in turn, each page starting after the last one's last message."""
    walked: list[int] = []
    after = None
    while True:
        with db.read() as conn:
            page = message_page(conn, after=after, limit=limit, **only)
        walked.extend(message.id for message in page)
        if len(page) < limit:
            return walked
        after = (page[-1].created_at, page[-1].id)


def test_pages_give_every_message_once_newest_first(db: Database) -> None:
    made = _fill(db, 40)
    newest_first = sorted(made, key=lambda m: (m[0], m[1]), reverse=True)
    assert _walk(db, limit=4) == [m[1] for m in newest_first]
    assert _walk(db, limit=3, campaign_id=CAMPAIGNS[1]) == [
        m[1] for m in newest_first if m[2] == CAMPAIGNS[1]
    ]
    assert _walk(db, limit=2, order_id=ORDERS[0]) == [
        m[1] for m in newest_first if m[3] == ORDERS[0]
    ]
    assert _walk(db, limit=5, campaign_id=CAMPAIGNS[0], order_id=ORDERS[2]) == [
        m[1] for m in newest_first if m[2] == CAMPAIGNS[0] and m[3] == ORDERS[2]
    ]


def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))
    with db.write() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def _indexes(db: Database) -> set[str]:
    with db.read() as conn:
        return {str(index["name"]) for index in sa.inspect(conn).get_indexes("outbox_messages")}


def test_0017_adds_the_page_indexes_keeps_the_messages_and_goes_back(database_url: str) -> None:
    db = Database(normalise_database_url(database_url))
    try:
        _migrate(db, "0016")
        made = _fill(db, 6)
        assert not PAGE_INDEXES & _indexes(db)

        _migrate(db, "0017")
        assert _indexes(db) >= PAGE_INDEXES
        assert _walk(db, limit=4) == [m[1] for m in sorted(made, reverse=True)]

        _migrate(db, "0016", down=True)
        assert not PAGE_INDEXES & _indexes(db)
        assert len(_walk(db, limit=10)) == len(made)
    finally:
        db.dispose()
