"""Marking codes of order items, in the order they were sent (R-035, OQ-08)."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, Text, and_, bindparam, cast, delete, insert, select

from dbskit.contract.enums import InstanceType, OrderStatus, Vat
from dbskit.market.domain.marking import MarkingCode
from dbskit.storage.orders import OF_ORDER, from_kopecks, order_params
from dbskit.storage.prepared import PreparedSelect, PreparedWrite
from dbskit.storage.tables import marking_codes, order_items, orders

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


# The order's row locked, read with its items in the same statement: on PostgreSQL a statement
# that waited for the lock reads the joined items as they were when it started, which is safe only
# because an order's items never change after it is created. Its codes do change (another PUT
# identifiers on the order), so they are read by the next statement, once the lock is held.
_ORDER_FOR_CODES = PreparedSelect(
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
    )
    .select_from(orders.outerjoin(order_items, order_items.c.order_id == orders.c.id))
    .where(*OF_ORDER)
    .order_by(order_items.c.position)
    .with_for_update(of=orders)
)
# What the duplicate check needs of the stored codes (OQ-07), in the order of the items.
_CODES_TO_COMPARE = PreparedSelect(
    select(
        marking_codes.c.item_id, marking_codes.c.kind, marking_codes.c.value, marking_codes.c.cis
    )
    .select_from(
        marking_codes.join(
            order_items,
            and_(
                order_items.c.order_id == marking_codes.c.order_id,
                order_items.c.item_id == marking_codes.c.item_id,
            ),
        )
    )
    .where(marking_codes.c.order_id == bindparam("o_id"))
    .order_by(order_items.c.position, marking_codes.c.position)
)


@functools.lru_cache(maxsize=64)  # an item needs one kind or none: a handful of values
def _instance_types(stored: str) -> frozenset[InstanceType]:
    return frozenset(InstanceType(kind) for kind in json.loads(stored))


def lock_order_for_codes(
    conn: Connection, *, campaign_id: int, order_id: int
) -> OrderForCodes | None:
    """The order's status and its items (units, kinds, the answer's fields), its row locked."""
    rows = _ORDER_FOR_CODES.rows_in(conn, order_params(campaign_id=campaign_id, order_id=order_id))
    if not rows:
        return None
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
            )
            for _, _, item_id, count, kinds, vat, price_kopecks, offer_name, offer_id in rows
            if item_id is not None
        ),
    )


def kept_codes(conn: Connection, *, order_id: int, item_ids: Collection[int]) -> CodesByItem:
    """The stored codes of these items of the order (those a call does not list keep theirs:
    OQ-08), as far as they tell one unit from another (OQ-07): kind, value and short ``cis``,
    not the country code. No statement runs for no items."""
    if not item_ids:
        return {}
    found: dict[int, list[MarkingCode]] = {}
    for item_id, kind, value, cis in _CODES_TO_COMPARE.rows_in(conn, {"o_id": order_id}):
        if item_id in item_ids:
            found.setdefault(item_id, []).append(MarkingCode(InstanceType(kind), value, cis))
    return {item_id: tuple(codes) for item_id, codes in found.items()}


# One DELETE per listed item rather than one with ``item_id IN (...)``: a statement whose text
# stays the same runs prepared, while Core rewrites an expanding IN for each call.
_DELETE_ITEM_CODES = PreparedWrite(
    delete(marking_codes).where(
        marking_codes.c.order_id == bindparam("o_id"),
        marking_codes.c.item_id == bindparam("i_id"),
    )
)
_INSERT_CODES = PreparedWrite(insert(marking_codes))


def replace_codes(
    conn: Connection, *, order_id: int, codes: Mapping[int, Sequence[MarkingCode]]
) -> None:
    """Each listed item gets exactly these codes; items not listed keep theirs (OQ-08)."""
    if not codes:
        return
    _DELETE_ITEM_CODES.execute_many(
        conn, [{"o_id": order_id, "i_id": item_id} for item_id in codes]
    )
    rows = [
        {
            "order_id": order_id,
            "item_id": item_id,
            "position": position,
            "kind": code.kind.value,
            "value": code.value,
            "cis": code.cis,
            "country_code": code.country_code,
        }
        for item_id, item_codes in codes.items()
        for position, code in enumerate(item_codes)
    ]
    _INSERT_CODES.execute_many(conn, rows)
