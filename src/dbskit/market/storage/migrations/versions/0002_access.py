"""Access: businesses, campaigns, API tokens (hashes only) and the demo access row.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_BUSINESS_ID_START = 10_000_001
_CAMPAIGN_ID_START = 21_000_001


def upgrade() -> None:
    op.create_table(
        "businesses",
        sa.Column("id", _ID, sa.Identity(start=_BUSINESS_ID_START), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "campaigns",
        sa.Column("id", _ID, sa.Identity(start=_CAMPAIGN_ID_START), primary_key=True),
        sa.Column("business_id", sa.BigInteger, sa.ForeignKey("businesses.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("push_url", sa.String(2048), nullable=True),
        sa.Column("push_auth_token", sa.String(255), nullable=True),
        sa.Column("push_auth_mode", sa.String(16), nullable=False),
        sa.Column("notification_url", sa.String(2048), nullable=True),
        sa.Column("cart_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_campaigns_business_id", "campaigns", ["business_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("business_id", sa.BigInteger, sa.ForeignKey("businesses.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("key_hash", name="uq_api_tokens_key_hash"),
    )
    op.create_index("ix_api_tokens_business_id_kind", "api_tokens", ["business_id", "kind"])
    op.create_table(
        "demo_access",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("business_id", sa.BigInteger, sa.ForeignKey("businesses.id"), nullable=False),
        sa.Column("campaign_id", sa.BigInteger, sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("token_id", sa.BigInteger, sa.ForeignKey("api_tokens.id"), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # AUTOINCREMENT continues from sqlite_sequence: start both id series at their bases.
        op.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)").bindparams(
                name="businesses", seq=_BUSINESS_ID_START - 1
            )
        )
        op.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)").bindparams(
                name="campaigns", seq=_CAMPAIGN_ID_START - 1
            )
        )


def downgrade() -> None:
    op.drop_table("demo_access")
    op.drop_index("ix_api_tokens_business_id_kind", "api_tokens")
    op.drop_table("api_tokens")
    op.drop_index("ix_campaigns_business_id", "campaigns")
    op.drop_table("campaigns")
    op.drop_table("businesses")
