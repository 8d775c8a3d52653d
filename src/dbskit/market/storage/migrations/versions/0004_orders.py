"""Orders and their items.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column(
            "campaign_id",
            sa.BigInteger,
            sa.ForeignKey("campaigns.id", name="fk_orders_campaign_id_campaigns"),
            nullable=False,
        ),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("substatus", sa.String(64), nullable=True),
        sa.Column("fake", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("status_updated_at", sa.BigInteger, nullable=False),
        sa.Column("processing_since", sa.BigInteger, nullable=True),
        sa.Column("delivery_type", sa.String(16), nullable=False),
        sa.Column("delivery_service_id", sa.BigInteger, nullable=True),
        sa.Column("delivery_service_name", sa.String(255), nullable=False),
        sa.Column("dispatch_type", sa.String(32), nullable=False),
        sa.Column("region_id", sa.BigInteger, nullable=True),
        sa.Column("delivery_from_date", sa.Date, nullable=True),
        sa.Column("delivery_to_date", sa.Date, nullable=True),
        sa.Column("shipment_date", sa.Date, nullable=True),
        sa.Column("real_delivery_date", sa.Date, nullable=True),
        sa.Column("estimated", sa.Boolean, nullable=False),
        sa.Column("delivery_price_kopecks", sa.BigInteger, nullable=False),
        sa.Column("buyer_type", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("payment_type", sa.String(16), nullable=False),
        sa.Column("payment_method", sa.String(32), nullable=False),
        sa.Column("tax_system", sa.String(32), nullable=False),
        sa.Column("has_cis", sa.Boolean, nullable=False),
        sa.Column("cancellation_requested_at", sa.BigInteger, nullable=True),
        sa.Column("cancellation_request_substatus", sa.String(64), nullable=True),
        sa.Column("buyer_calls", sa.JSON, nullable=False),
        sa.Column("buyer_phone_unreachable", sa.Boolean, nullable=False),
    )
    op.create_index(
        "ix_orders_campaign_created", "orders", ["campaign_id", "fake", "created_at", "id"]
    )
    op.create_table(
        "order_items",
        sa.Column(
            "order_id",
            sa.BigInteger,
            sa.ForeignKey("orders.id", ondelete="CASCADE", name="fk_order_items_order_id_orders"),
            nullable=False,
        ),
        sa.Column("item_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("offer_id", sa.String(255), nullable=False),
        sa.Column("offer_name", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("price_kopecks", sa.BigInteger, nullable=False),
        sa.Column("vat", sa.String(16), nullable=False),
        sa.Column("required_instance_types", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "item_id", name="pk_order_items"),
    )


def downgrade() -> None:
    op.drop_table("order_items")
    op.drop_index("ix_orders_campaign_created", "orders")
    op.drop_table("orders")
