"""The store's own state: notifications received, orders, the key vault and the job queue.

Revision ID: s0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_MICROS = sa.BigInteger  # times as microseconds since the epoch (values.UtcTimestamp)


def upgrade() -> None:
    op.create_table(
        "store_notifications",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("dedup_key", sa.String(255), nullable=False, unique=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("order_id", sa.BigInteger, nullable=True),
        sa.Column("campaign_id", sa.BigInteger, nullable=True),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("received_at", _MICROS, nullable=False),
    )
    op.create_index("ix_store_notifications_order", "store_notifications", ["order_id"])
    op.create_table(
        "store_orders",
        sa.Column("order_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("substatus", sa.String(64), nullable=True),
        sa.Column("delivery_type", sa.String(32), nullable=True),
        sa.Column("created_at", _MICROS, nullable=True),
        sa.Column("keys_due_at", _MICROS, nullable=True),
        sa.Column("delivered_at", _MICROS, nullable=True),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("needs_seller", sa.String(1000), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_store_orders_needs_seller", "store_orders", ["needs_seller"])
    op.create_table(
        "store_keys",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("offer_id", sa.String(255), nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("activate_till", sa.String(10), nullable=True),
        sa.Column("slip", sa.Text, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("order_id", sa.BigInteger, nullable=True),
        sa.Column("item_id", sa.BigInteger, nullable=True),
        sa.Column("imported_at", _MICROS, nullable=False),
        sa.Column("reserved_at", _MICROS, nullable=True),
        sa.Column("delivered_at", _MICROS, nullable=True),
        sa.UniqueConstraint("offer_id", "key", name="uq_store_keys_offer_key"),
    )
    op.create_index("ix_store_keys_offer_state", "store_keys", ["offer_id", "state", "id"])
    op.create_index("ix_store_keys_order", "store_keys", ["order_id", "item_id"])
    op.create_table(
        "store_jobs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("run_at", _MICROS, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(1000), nullable=True),
        sa.Column("waiting", sa.Boolean, nullable=False),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_until", _MICROS, nullable=True),
        sa.Column("created_at", _MICROS, nullable=False),
        sa.Column("finished_at", _MICROS, nullable=True),
    )
    op.create_index("ix_store_jobs_due", "store_jobs", ["state", "run_at", "id"])


def downgrade() -> None:
    for table in ("store_jobs", "store_keys", "store_orders", "store_notifications"):
        op.drop_table(table)
