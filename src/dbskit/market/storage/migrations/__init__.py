"""Alembic migrations, applied at start (``upgrade``) and skipped when already at head."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from dbskit.database.db import Database

# The newest revision in versions/. A test checks it against Alembic's own view of the head, so
# start-up can skip loading Alembic when the database is already there.
HEAD = "0017"
MIGRATIONS_DIR = Path(__file__).parent


def current_revision(db: Database) -> str | None:
    with db.read() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(db: Database) -> bool:
    """Bring the schema to head. Returns True when anything was applied."""
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
            # Two instances starting together: one migrates, the other waits and finds head.
            conn.execute(text("SELECT pg_advisory_xact_lock(7300417)"))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return True
