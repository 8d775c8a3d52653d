"""An item's marking codes move to the item's row; the ``marking_codes`` table goes.

PUT identifiers replaces an item's codes as a whole (OQ-08) and every reader takes them as a
whole: on the item's row they are one UPDATE per listed item (a DELETE per item and an INSERT per
code before), and an order is read without a join. The column holds a JSON array of
``[kind, value, cis, countryCode]`` arrays in the order the codes were sent, NULL for none
(``types.UnitCodes``; written out here so that this revision keeps its meaning).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import json
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ITEMS = sa.table(
    "order_items",
    sa.column("order_id", sa.BigInteger),
    sa.column("item_id", sa.BigInteger),
    sa.column("instances", sa.Text),
)
_CODES = sa.table(
    "marking_codes",
    sa.column("order_id", sa.BigInteger),
    sa.column("item_id", sa.BigInteger),
    sa.column("position", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("value", sa.Text),
    sa.column("cis", sa.Text),
    sa.column("country_code", sa.String),
)
_OF_ITEM = sa.and_(
    _ITEMS.c.order_id == sa.bindparam("o_id"), _ITEMS.c.item_id == sa.bindparam("i_id")
)


def upgrade() -> None:
    op.add_column("order_items", sa.Column("instances", sa.Text, nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_CODES).order_by(_CODES.c.order_id, _CODES.c.item_id, _CODES.c.position)
    )
    updates = [
        {
            "o_id": order_id,
            "i_id": item_id,
            "instances": json.dumps(
                [[code.kind, code.value, code.cis, code.country_code] for code in codes],
                ensure_ascii=False,
                separators=(",", ":"),
            ),
        }
        for (order_id, item_id), codes in groupby(rows, key=lambda row: (row.order_id, row.item_id))
    ]
    if updates:
        conn.execute(
            sa.update(_ITEMS).where(_OF_ITEM).values(instances=sa.bindparam("instances")), updates
        )
    op.drop_table("marking_codes")


def downgrade() -> None:
    op.create_table(  # as 0005 created it
        "marking_codes",
        sa.Column(
            "order_id",
            sa.BigInteger,
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("item_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("cis", sa.Text, nullable=True),
        sa.Column("country_code", sa.String(2), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "item_id", "position", name="pk_marking_codes"),
    )
    conn = op.get_bind()
    items = conn.execute(sa.select(_ITEMS).where(_ITEMS.c.instances.is_not(None))).all()
    codes = [
        {
            "order_id": item.order_id,
            "item_id": item.item_id,
            "position": position,
            "kind": kind,
            "value": value,
            "cis": cis,
            "country_code": country_code,
        }
        for item in items
        for position, (kind, value, cis, country_code) in enumerate(json.loads(item.instances))
    ]
    if codes:
        conn.execute(sa.insert(_CODES), codes)
    # In place, as 0011 drops its columns (batch mode would copy ``order_items``).
    op.drop_column("order_items", "instances")
