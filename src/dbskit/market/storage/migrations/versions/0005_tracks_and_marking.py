"""Track history and marking codes of orders (delivery/track, PUT identifiers).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _order_id() -> sa.Column[int]:
    return sa.Column(
        "order_id",
        sa.BigInteger,
        sa.ForeignKey("orders.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "order_tracks",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _order_id(),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("track_code", sa.Text, nullable=False),
        sa.Column("track_hash", sa.String(64), nullable=False),
        sa.Column("delivery_service_id", sa.BigInteger, nullable=False),
        sa.Column("set_at", sa.BigInteger, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
    )
    op.create_index("ix_order_tracks_order", "order_tracks", ["order_id", "id"])
    op.create_index("ix_order_tracks_campaign_hash", "order_tracks", ["campaign_id", "track_hash"])
    op.create_table(
        "marking_codes",
        _order_id(),
        sa.Column("item_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("cis", sa.Text, nullable=True),
        sa.Column("country_code", sa.String(2), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "item_id", "position", name="pk_marking_codes"),
    )


def downgrade() -> None:
    op.drop_table("marking_codes")
    op.drop_index("ix_order_tracks_campaign_hash", table_name="order_tracks")
    op.drop_index("ix_order_tracks_order", table_name="order_tracks")
    op.drop_table("order_tracks")
