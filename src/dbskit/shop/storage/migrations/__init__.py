"""The store's Alembic migrations, applied when its database opens (``upgrade``) and skipped
when already at head. Their version table is the store's own (``VERSION_TABLE``), so the store and
the Market can share one PostgreSQL database and each migrate on its own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from dbskit.database.db import Database

# The newest revision in versions/. A test checks it against Alembic's own view of the head, so
# opening the database can skip loading Alembic when it is already there.
HEAD = "s0001"
VERSION_TABLE = "store_alembic_version"
MIGRATIONS_DIR = Path(__file__).parent
# PostgreSQL: two store processes starting together; one migrates, the other waits for it and
# finds head. Not the Market's lock number, so the two sides never wait for each other.
_MIGRATION_LOCK = 7300422


def current_revision(db: Database) -> str | None:
    with db.read() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        version = text(f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608 - a constant
        return conn.execute(version).scalar()


def upgrade(db: Database) -> bool:
    """Bring the store's schema to head. Returns True when anything was applied."""
    try:
        if current_revision(db) == HEAD:
            return False
    except Exception:  # noqa: S110 - a broken or missing version table: let Alembic decide
        pass
    from alembic import command  # loaded only when there is work to do
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.write() as conn:
        if db.dialect == "postgresql":
            conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return True
