"""The query log: one row per Partner API call.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "query_log",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("operation_id", sa.String(64), nullable=True),
        sa.Column("campaign_id", sa.BigInteger, nullable=True),
        sa.Column("business_id", sa.BigInteger, nullable=True),
        sa.Column("request_headers", sa.JSON, nullable=False),
        sa.Column("request_body", sa.Text, nullable=False),
        sa.Column("request_size", sa.BigInteger, nullable=False),
        sa.Column("request_truncated", sa.Boolean, nullable=False),
        sa.Column("response_headers", sa.JSON, nullable=False),
        sa.Column("response_body", sa.Text, nullable=False),
        sa.Column("response_size", sa.BigInteger, nullable=False),
        sa.Column("response_truncated", sa.Boolean, nullable=False),
    )
    op.create_index("ix_query_log_at", "query_log", ["at", "id"])
    op.create_index("ix_query_log_campaign", "query_log", ["campaign_id", "at", "id"])


def downgrade() -> None:
    op.drop_index("ix_query_log_campaign", "query_log")
    op.drop_index("ix_query_log_at", "query_log")
    op.drop_table("query_log")
