"""All tables, in one metadata. Migrations in ``storage/migrations`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from dbskit.storage.types import UtcTimestamp

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The sandbox clock: real time plus this offset (one row, id 1). Shared by every instance.
sandbox_clock = Table(
    "sandbox_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_us", BigInteger, nullable=False),
)

# Delayed work on the sandbox clock (e-mail delivery, notification retries, ...).
scheduled_events = Table(
    "scheduled_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("kind", String(64), nullable=False),
    Column("due_at", UtcTimestamp, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("done_at", UtcTimestamp, nullable=True),
    Column("outcome", Text, nullable=True),
    Index("ix_scheduled_events_pending", "done_at", "due_at"),
)
