"""Opening the store's own database: the file or server of ``--store-database-url``, migrated
before first use."""

from __future__ import annotations

from dbskit.database.db import Database
from dbskit.settings import Settings
from dbskit.shop.storage import migrations


def open_store_database(settings: Settings) -> Database:
    """The store's database, at the schema's head. On SQLite the data dir is made if missing."""
    url = settings.resolved_store_database_url
    if url.startswith("sqlite") and not settings.store_database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(url, synchronous=settings.sqlite_synchronous)
    try:
        migrations.upgrade(db)
    except BaseException:
        db.dispose()
        raise
    return db
