"""The sandbox's reset and fault rules: ``fault_rules`` (rules of injected answers, shared by
every instance), the injected fault of a logged call (``query_log.fault_rule_id``, ``.fault``),
and how many times the sandbox clock was reset (``sandbox_clock.resets``: the one case in which
the clock goes back, which every instance adopts by this number).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_INT64_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "fault_rules",
        sa.Column("id", _INT64_ID, primary_key=True, autoincrement=True),
        sa.Column("operation_id", sa.String(64), nullable=False),
        sa.Column("campaign_id", sa.BigInteger, nullable=True),
        sa.Column("token_id", sa.BigInteger, nullable=True),
        sa.Column("fault", sa.String(32), nullable=False),
        sa.Column("latency_ms", sa.Integer, nullable=True),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("n", sa.BigInteger, nullable=True),
        sa.Column("share", sa.Float, nullable=True),
        sa.Column("seed", sa.BigInteger, nullable=True),
        sa.Column("calls", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("injected", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", sa.BigInteger, nullable=False),  # microseconds, as UtcTimestamp
        sqlite_autoincrement=True,  # ids never reused: the query log names rules by id
    )
    # In place (ADD COLUMN): a batch copy of ``query_log`` would rewrite every entry.
    op.add_column("query_log", sa.Column("fault_rule_id", sa.BigInteger, nullable=True))
    op.add_column("query_log", sa.Column("fault", sa.String(32), nullable=True))
    op.add_column(
        "sandbox_clock", sa.Column("resets", sa.BigInteger, nullable=False, server_default="0")
    )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, also on SQLite (3.35+), as 0009 does.
    op.drop_column("sandbox_clock", "resets")
    op.drop_column("query_log", "fault")
    op.drop_column("query_log", "fault_rule_id")
    op.drop_table("fault_rules")
