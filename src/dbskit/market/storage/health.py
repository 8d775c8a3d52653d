"""The database's side of the health check: one trivial statement."""

from __future__ import annotations

from sqlalchemy import literal, select

from dbskit.database.db import Transaction

_ONE = select(literal(1))


def answer_one(conn: Transaction) -> None:
    """Raise when the database does not answer ``SELECT 1``."""
    conn.execute(_ONE).scalar_one()
