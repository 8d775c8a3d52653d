"""getOrders and getBusinessOrders over many orders: an index that holds every filtered column,
so that a page and a count walk the index alone, and one on the seller's own order ids.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The campaign's orders, newest first (creation time, then id), then what the filters read.
LISTING_COLUMNS = [
    "campaign_id",
    "fake",
    "created_at",
    "id",
    "status",
    "substatus",
    "status_updated_at",
    "updated_at",
    "cancellation_requested_at",
    "shipment_date",
    "dispatch_type",
    "buyer_type",
    "has_cis",
    "estimated",
]


def upgrade() -> None:
    op.create_index("ix_orders_listing", "orders", LISTING_COLUMNS)
    op.drop_index("ix_orders_campaign_created", "orders")
    op.create_index("ix_orders_external_order_id", "orders", ["external_order_id"])


def downgrade() -> None:
    op.drop_index("ix_orders_external_order_id", "orders")
    op.create_index(
        "ix_orders_campaign_created", "orders", ["campaign_id", "fake", "created_at", "id"]
    )
    op.drop_index("ix_orders_listing", "orders")
