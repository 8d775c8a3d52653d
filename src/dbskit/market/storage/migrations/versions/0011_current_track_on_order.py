"""The current track moves to the order's row; the history keeps every track.

A delivery/track call then writes one history row and the order's row (it updated the previous
current row and two of its indexes as well), and getOrder reads the track without a join. The
current track is the newest of the history: each accepted change adds a row (OQ-06).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("track_code", sa.Text, nullable=True))
    op.add_column("orders", sa.Column("track_service_id", sa.BigInteger, nullable=True))
    op.execute(
        """
        UPDATE orders SET
            track_code = (SELECT t.track_code FROM order_tracks t
                          WHERE t.order_id = orders.id AND t."current"),
            track_service_id = (SELECT t.delivery_service_id FROM order_tracks t
                                WHERE t.order_id = orders.id AND t."current")
        """
    )
    op.drop_index("ix_order_tracks_current", table_name="order_tracks")
    with op.batch_alter_table("order_tracks") as batch:
        batch.drop_column("current")


def downgrade() -> None:
    with op.batch_alter_table("order_tracks") as batch:
        batch.add_column(
            sa.Column("current", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.execute(
        """
        UPDATE order_tracks SET "current" = true
        WHERE id IN (SELECT max(id) FROM order_tracks GROUP BY order_id)
        """
    )
    op.create_index("ix_order_tracks_current", "order_tracks", ["order_id", "current"])
    # Not in batch mode: on SQLite that copies ``orders`` to a new table and drops the old one,
    # and the drop would take every row of its child tables with it (ON DELETE CASCADE; foreign
    # keys cannot be switched off inside the migration's transaction). SQLite 3.35 and later
    # drop a column in place.
    op.drop_column("orders", "track_service_id")
    op.drop_column("orders", "track_code")
