"""What getBusinessOrders shows beyond OrderDTO: the seller's own order id and how a DIGITAL
order reaches the buyer (with the buyer's Steam link for a Steam gift).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


_COLUMNS = ("external_order_id", "digital_delivery_type", "steam_link")


def upgrade() -> None:
    op.add_column("orders", sa.Column("external_order_id", sa.Text, nullable=True))
    op.add_column("orders", sa.Column("digital_delivery_type", sa.String(16), nullable=True))
    op.add_column("orders", sa.Column("steam_link", sa.Text, nullable=True))
    # Orders kept from before: a DIGITAL order was always delivered by e-mail.
    op.execute("UPDATE orders SET digital_delivery_type = 'EMAIL' WHERE delivery_type = 'DIGITAL'")


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, also on SQLite (3.35+): a batch copy of ``orders`` would drop
    # the old table, and with it, through ON DELETE CASCADE, every order's items.
    for column in reversed(_COLUMNS):
        op.drop_column("orders", column)
