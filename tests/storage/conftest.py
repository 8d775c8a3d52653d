"""A migrated database for the storage tests, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dbskit.settings import normalise_database_url
from dbskit.storage import migrations
from dbskit.storage.db import Database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(normalise_database_url(database_url))
    migrations.upgrade(database)
    yield database
    database.dispose()
