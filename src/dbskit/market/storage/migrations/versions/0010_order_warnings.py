"""Warnings about accepted calls on an order; identical deliverDigitalGoods repeats counted.

The warnings move from the ``digital_deliveries`` row (the last stored payload's only) to
``order_warnings``, one row per warning of each accepted call.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "order_warnings",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.BigInteger, nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("operation_id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_warnings"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name="fk_order_warnings_order_id_orders",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_order_warnings_order", "order_warnings", ["order_id", "id"])
    with op.batch_alter_table("digital_deliveries") as batch:
        batch.add_column(
            sa.Column("repeated_calls", sa.Integer, nullable=False, server_default="0")
        )
        batch.drop_column("warnings")


def downgrade() -> None:
    with op.batch_alter_table("digital_deliveries") as batch:
        batch.add_column(
            sa.Column("warnings", sa.JSON, nullable=False, server_default=sa.text("'[]'"))
        )
        batch.drop_column("repeated_calls")
    op.drop_index("ix_order_warnings_order", table_name="order_warnings")
    op.drop_table("order_warnings")
