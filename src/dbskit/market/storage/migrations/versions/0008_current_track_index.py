"""An index for the current track of an order (getOrder and setOrderDeliveryTrackCode read it).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_order_tracks_current", "order_tracks", ["order_id", "current"])


def downgrade() -> None:
    op.drop_index("ix_order_tracks_current", table_name="order_tracks")
