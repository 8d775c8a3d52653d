"""Delivered digital keys and the state of the buyer's e-mail (deliverDigitalGoods).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digital_deliveries",
        sa.Column(
            "order_id",
            sa.BigInteger,
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("first_accepted_at", sa.BigInteger, nullable=False),
        sa.Column("accepted_at", sa.BigInteger, nullable=False),
        sa.Column("accepted_calls", sa.Integer, nullable=False),
        sa.Column("late_by_us", sa.BigInteger, nullable=True),
        sa.Column("email_due_at", sa.BigInteger, nullable=False),
        sa.Column("emailed_at", sa.BigInteger, nullable=True),
        sa.Column("email_failed", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("digital_deliveries")
