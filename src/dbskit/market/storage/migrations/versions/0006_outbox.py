"""Outbox: the e-mails and API notifications the Market sends, and each delivery attempt.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("order_id", sa.BigInteger, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("notification_url", sa.Text, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
    )
    op.create_index(
        "ix_outbox_messages_campaign_order", "outbox_messages", ["campaign_id", "order_id"]
    )
    op.create_table(
        "outbox_attempts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("scheduled_at", sa.BigInteger, nullable=False),
        sa.Column("attempted_at", sa.BigInteger, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer, nullable=True),
        sa.Column("error_type", sa.String(32), nullable=True),
        sa.Column("error_subtype", sa.String(32), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_attempts"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name="fk_outbox_attempts_message_id_outbox_messages",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("message_id", "number", name="uq_outbox_attempts_message_id_number"),
    )


def downgrade() -> None:
    op.drop_table("outbox_attempts")
    op.drop_index("ix_outbox_messages_campaign_order", "outbox_messages")
    op.drop_table("outbox_messages")
