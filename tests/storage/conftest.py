"""A migrated database for the storage tests, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from dbskit.database.db import Database
from dbskit.market.storage import migrations
from dbskit.market.storage.access import insert_business, insert_campaign
from dbskit.settings import normalise_database_url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(normalise_database_url(database_url))
    migrations.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def campaign(db: Database) -> int:
    """A seller's campaign to hold the orders of a test."""
    return insert_shop(db)


def insert_shop(db: Database) -> int:
    """A business with one campaign; the campaign's id."""
    created = datetime(2030, 3, 1, tzinfo=UTC)
    with db.write() as conn:
        business = insert_business(conn, name="Shop", now=created)
        return insert_campaign(
            conn,
            business_id=business,
            name="Shop",
            push_url=None,
            push_auth_token=None,
            push_auth_mode="HEADER",
            notification_url=None,
            now=created,
        )
