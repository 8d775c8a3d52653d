"""The outbox a page at a time (the cabinet's outbox page): newest first by creation time then
id, over every campaign, one campaign or one order. An index in that order for each, so that a
page, a later page included, reads its messages from the index instead of sorting the outbox.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Each index ends with the page's order (created_at, id): the filter leads, the page follows.
PAGE_COLUMNS = ["created_at", "id"]
CAMPAIGN_PAGE_COLUMNS = ["campaign_id", *PAGE_COLUMNS]
ORDER_PAGE_COLUMNS = ["order_id", *PAGE_COLUMNS]


def upgrade() -> None:
    op.create_index("ix_outbox_messages_created", "outbox_messages", PAGE_COLUMNS)
    op.create_index("ix_outbox_messages_campaign_created", "outbox_messages", CAMPAIGN_PAGE_COLUMNS)
    op.create_index("ix_outbox_messages_order_created", "outbox_messages", ORDER_PAGE_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_order_created", "outbox_messages")
    op.drop_index("ix_outbox_messages_campaign_created", "outbox_messages")
    op.drop_index("ix_outbox_messages_created", "outbox_messages")
