"""Whether a campaign is active (R-079: the API is closed for an inactive store).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "campaigns",
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, also on SQLite (3.35+): a batch copy would drop ``campaigns``,
    # which orders and the demo's access refer to, and SQLite refuses that.
    op.drop_column("campaigns", "active")
