"""Marking codes of order items, in the order they were sent (R-035, OQ-08).

An item's codes are a column of its row (``tables.order_items.instances``, ``types.UnitCodes``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Text, bindparam, cast, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from dbskit.contract.enums import InstanceType, OrderStatus, Vat
from dbskit.database.db import Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import to_micros
from dbskit.market.domain.marking import MarkingCode
from dbskit.market.storage.order_rows import from_kopecks
from dbskit.market.storage.orders import OF_ORDER, order_params, touch_order
from dbskit.market.storage.tables import order_items, orders
from dbskit.market.storage.types import unit_codes_from_text, unit_codes_text

CodesByItem = dict[int, tuple[MarkingCode, ...]]


@dataclass(frozen=True, slots=True)
class ItemForCodes:
    """What PUT identifiers decides on and answers with of an item (``CodesItem``)."""

    id: int
    count: int
    required_instance_types: frozenset[InstanceType]
    vat: Vat
    price: Decimal
    offer_name: str
    offer_id: str
    # The stored codes as ``types.UnitCodes`` wrote them: read only for the items a call does
    # not list (``kept_codes``), whose codes it keeps.
    stored_codes_text: str | None = None


@dataclass(frozen=True, slots=True)
class OrderForCodes:
    """What PUT identifiers decides on of an order (``CodesOrder``), without the rest of it."""

    id: int
    status: OrderStatus
    items: tuple[ItemForCodes, ...]

    def item(self, item_id: int) -> ItemForCodes | None:
        for item in self.items:
            if item.id == item_id:
                return item
        return None


# The order's items, their codes among them, with the rows of the order and of its items locked
# until the transaction ends: one statement. On PostgreSQL a statement that waited for a lock
# reads again, once it holds it, the latest version of every row it locks; locking the items' rows
# as well as the order's, it reads what the transaction it waited for wrote to either (a
# statement that locks only the order would read the items as they were when it started). An
# order has at least one item (``SandboxOrder``, ``CheckoutOrder``): the join is an inner one,
# since the rows of an outer join's optional side cannot be locked (else ``_ORDER_ALONE``).
# SQLite's write transactions hold the whole database from their BEGIN IMMEDIATE: it renders no
# FOR UPDATE.
_ORDER_FOR_CODES = DriverStatement(
    select(
        orders.c.id,
        orders.c.status,
        order_items.c.item_id,
        order_items.c["count"],
        # As stored, the JSON text: a few distinct values, each converted once (_instance_types).
        cast(order_items.c.required_instance_types, Text),
        order_items.c.vat,
        order_items.c.price_kopecks,
        order_items.c.offer_name,
        order_items.c.offer_id,
        # As stored: decoded only for the items whose codes are kept (kept_codes).
        cast(order_items.c.instances, Text),
    )
    .select_from(orders.join(order_items, order_items.c.order_id == orders.c.id))
    .where(*OF_ORDER)
    .order_by(order_items.c.position)
    .with_for_update()
)


_ORDER_ALONE = DriverStatement(
    select(orders.c.id, orders.c.status).where(*OF_ORDER).with_for_update()
)


@functools.lru_cache(maxsize=64)  # an item needs one kind or none: a handful of values
def _instance_types(stored: str) -> frozenset[InstanceType]:
    return frozenset(InstanceType(kind) for kind in json.loads(stored))


def lock_order_for_codes(
    conn: Transaction, *, campaign_id: int, order_id: int
) -> OrderForCodes | None:
    """The order's status and its items (units, kinds, codes, the answer's fields), its row
    locked until the transaction ends, with its items' rows."""
    params = order_params(campaign_id=campaign_id, order_id=order_id)
    rows = _ORDER_FOR_CODES.rows(conn, params)
    if not rows:  # unknown, or an order without items (not one dbskit makes): its row alone
        alone = _ORDER_ALONE.rows(conn, params)
        return OrderForCodes(alone[0][0], OrderStatus(alone[0][1]), ()) if alone else None
    return OrderForCodes(
        id=rows[0][0],
        status=OrderStatus(rows[0][1]),
        items=tuple(
            ItemForCodes(
                id=item_id,
                count=count,
                required_instance_types=_instance_types(kinds),
                vat=Vat(vat),
                price=from_kopecks(price_kopecks),
                offer_name=offer_name,
                offer_id=offer_id,
                stored_codes_text=codes,
            )
            for _, _, item_id, count, kinds, vat, price_kopecks, offer_name, offer_id, codes in rows
        ),
    )


def kept_codes(order: OrderForCodes, *, listed: Collection[int]) -> CodesByItem:
    """The stored codes of the order's items a call does not list: they keep them (OQ-08), and
    a new code may not repeat one of them (OQ-07)."""
    return {
        item.id: unit_codes_from_text(item.stored_codes_text)
        for item in order.items
        if item.id not in listed and item.stored_codes_text is not None
    }


# SQLite: one UPDATE per listed item (the statement's text stays the same whatever the items),
# then the order's; in the process, a statement costs no round trip.
_SET_ITEM_CODES = DriverStatement(
    update(order_items).where(
        order_items.c.order_id == bindparam("o_id"), order_items.c.item_id == bindparam("i_id")
    )
)

# PostgreSQL: the listed items' codes and the order's ``updated_at`` in one statement, one round
# trip whatever the items: the items and their codes come as two arrays, the order's UPDATE is a
# CTE (PostgreSQL runs a data-modifying CTE whether or not the statement reads it).
_LISTED = (
    func.unnest(
        bindparam("i_ids", type_=ARRAY(BigInteger)), bindparam("i_codes", type_=ARRAY(Text))
    )
    .table_valued("item_id", "codes")
    .render_derived(name="listed")
)
_SET_CODES_AND_TOUCH_ORDER = DriverStatement(
    update(order_items)
    .where(order_items.c.order_id == bindparam("o_id"), order_items.c.item_id == _LISTED.c.item_id)
    .values(instances=_LISTED.c.codes)
    .add_cte(
        update(orders)
        .where(orders.c.id == bindparam("o_id"))
        .values(updated_at=bindparam("touched_at"))
        .cte("touched")
    )
)


def replace_codes(
    conn: Transaction,
    *,
    order_id: int,
    codes: Mapping[int, Sequence[MarkingCode]],
    now: datetime,
) -> None:
    """Each listed item gets exactly these codes, items not listed keep theirs (OQ-08), and the
    order has changed at ``now`` (its items' instances, R-035)."""
    if not codes:
        return
    texts = {item_id: unit_codes_text(item_codes) for item_id, item_codes in codes.items()}
    if conn.dialect.name == "postgresql":
        _SET_CODES_AND_TOUCH_ORDER.run(
            conn,
            {
                "o_id": order_id,
                "touched_at": to_micros(now),
                "i_ids": list(texts),
                "i_codes": list(texts.values()),
            },
        )
        return
    _SET_ITEM_CODES.run_many(
        conn,
        [{"o_id": order_id, "i_id": item_id, "instances": text} for item_id, text in texts.items()],
    )
    touch_order(conn, order_id, now)
