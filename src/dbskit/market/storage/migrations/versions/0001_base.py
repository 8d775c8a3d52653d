"""Base: the sandbox clock and the scheduled events it runs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "sandbox_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("offset_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "scheduled_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("due_at", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("done_at", sa.BigInteger, nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
    )
    op.create_index("ix_scheduled_events_pending", "scheduled_events", ["done_at", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_scheduled_events_pending", "scheduled_events")
    op.drop_table("scheduled_events")
    op.drop_table("sandbox_clock")
