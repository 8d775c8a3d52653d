"""The store's own database: where it is, its migrations and their own version table, and its
independence from the Market's (the sandbox's reset leaves it alone, also in one database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from dbskit.database.db import Database
from dbskit.market.storage import migrations as market_migrations
from dbskit.settings import STORE_SQLITE_FILE_NAME, Settings, normalise_database_url
from dbskit.shop.storage import migrations, vault
from dbskit.shop.storage.database import open_store_database
from dbskit.shop.storage.key_rows import KeyRow
from dbskit.shop.storage.tables import metadata
from tests.conftest import SANDBOX_TOKEN


def test_head_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == migrations.HEAD


def test_the_default_is_a_file_of_its_own_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.resolved_store_database_url == (
        f"sqlite:///{(tmp_path / 'data' / STORE_SQLITE_FILE_NAME).resolve()}"
    )
    assert settings.resolved_store_database_url != settings.resolved_database_url
    db = open_store_database(settings)  # makes the data dir and migrates
    try:
        assert (tmp_path / "data" / STORE_SQLITE_FILE_NAME).is_file()
        assert migrations.current_revision(db) == migrations.HEAD
        assert migrations.upgrade(db) is False  # at head: nothing to do on the next open
    finally:
        db.dispose()


def test_a_postgresql_url_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBSKIT_STORE_DATABASE_URL", "postgres://u@db.example/store")
    assert Settings().resolved_store_database_url == "postgresql+psycopg://u@db.example/store"


def test_the_store_and_the_market_migrate_side_by_side_in_one_database(database_url: str) -> None:
    db = Database(normalise_database_url(database_url))
    try:
        assert market_migrations.upgrade(db) is True
        assert migrations.upgrade(db) is True  # the Market's version table is not the store's
        assert market_migrations.current_revision(db) == market_migrations.HEAD
        assert migrations.current_revision(db) == migrations.HEAD
        with db.read() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert set(metadata.tables) <= tables
        assert {migrations.VERSION_TABLE, "alembic_version"} <= tables
    finally:
        db.dispose()


@pytest.fixture
def settings_overrides(database_url: str) -> dict[str, Any]:
    # The hardest case: the store's tables in the Market's own database.
    return {"store_database_url": database_url}


async def test_a_sandbox_reset_leaves_the_store_keys(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    db = open_store_database(settings)
    try:
        vault.import_keys(db, [KeyRow("GAME-1", "K-1"), KeyRow("GAME-1", "K-2")])
        with db.write() as tx:
            vault.reserve(tx, order_id=1, item_id=1, offer_id="GAME-1", count=1)
        answer = await client.post("/sandbox/reset", headers={"Sandbox-Token": SANDBOX_TOKEN})
        assert answer.status_code == 200, answer.text
        (stock,) = vault.stock(db, 0)
        assert (stock.available, stock.reserved) == (1, 1)
    finally:
        db.dispose()
