"""The cabinet's records and reads: each order's status history (``order_status_history``), the
order a query-log entry concerns (``query_log.order_id``), and the indexes of the cabinet's
pages (orders listed with a seller's filters; the query log by order, operation or status).

``query_log`` gains its column in place (ADD COLUMN, no rewrite of the entries) and the entries
written before stay NULL: nothing is filled in afterwards, which on a log of a million entries
would rewrite every row, and the log keeps an entry 10 days (R-111), after which every entry has
the column. The order index is partial (entries that name an order), so it is built over none of
the entries already there. Orders placed before 0016 have no history: there is nothing to say
who placed or moved them.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_INT64_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# Every campaign's orders newest first, then the columns the cabinet's filters read: a page walks
# the index alone. The same led by the campaign, for one campaign's orders.
CABINET_COLUMNS = [
    "created_at",
    "id",
    "campaign_id",
    "status",
    "substatus",
    "fake",
    "delivery_type",
    "has_cis",
    "cancellation_requested_at",
]
CABINET_CAMPAIGN_COLUMNS = ["campaign_id", *(c for c in CABINET_COLUMNS if c != "campaign_id")]
_NAMES_AN_ORDER = sa.text("order_id IS NOT NULL")
# The query log by operation or by status, newest first, each holding the other filtered columns:
# a page walks the index and reads an entry's row only once the entry is on the page. The status
# index leaves out the answers 200 (most of the log, found soon enough walking ``at``): an entry
# costs its write one index less.
QUERY_LOG_OPERATION_COLUMNS = ["operation_id", "at", "id", "campaign_id", "status"]
QUERY_LOG_STATUS_COLUMNS = ["status", "at", "id", "campaign_id", "operation_id"]
NOT_200 = sa.text("status <> 200")


def upgrade() -> None:
    op.create_table(
        "order_status_history",
        sa.Column("id", _INT64_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "order_id",
            sa.BigInteger,
            sa.ForeignKey(
                "orders.id",
                ondelete="CASCADE",
                name="fk_order_status_history_order_id_orders",
            ),
            nullable=False,
        ),
        sa.Column("at", sa.BigInteger, nullable=False),  # microseconds, as UtcTimestamp
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("from_substatus", sa.String(64), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("to_substatus", sa.String(64), nullable=True),
    )
    op.create_index("ix_order_status_history_order", "order_status_history", ["order_id", "id"])
    op.add_column("query_log", sa.Column("order_id", sa.BigInteger, nullable=True))
    op.create_index(
        "ix_query_log_order",
        "query_log",
        ["order_id", "at", "id"],
        sqlite_where=_NAMES_AN_ORDER,
        postgresql_where=_NAMES_AN_ORDER,
    )
    op.create_index("ix_query_log_operation", "query_log", QUERY_LOG_OPERATION_COLUMNS)
    op.create_index(
        "ix_query_log_status",
        "query_log",
        QUERY_LOG_STATUS_COLUMNS,
        sqlite_where=NOT_200,
        postgresql_where=NOT_200,
    )
    op.create_index("ix_orders_cabinet", "orders", CABINET_COLUMNS)
    op.create_index("ix_orders_cabinet_campaign", "orders", CABINET_CAMPAIGN_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_orders_cabinet_campaign", "orders")
    op.drop_index("ix_orders_cabinet", "orders")
    op.drop_index("ix_query_log_status", "query_log")
    op.drop_index("ix_query_log_operation", "query_log")
    op.drop_index("ix_query_log_order", "query_log")
    # ALTER TABLE ... DROP COLUMN, also on SQLite (3.35+), as 0015 does.
    op.drop_column("query_log", "order_id")
    op.drop_index("ix_order_status_history_order", "order_status_history")
    op.drop_table("order_status_history")
