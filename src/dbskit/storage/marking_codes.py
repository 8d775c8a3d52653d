"""Marking codes of order items, in the order they were sent (R-035, OQ-08)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, bindparam, delete, insert, select

from dbskit.contract.enums import InstanceType
from dbskit.market.domain.marking import MarkingCode
from dbskit.storage.prepared import PreparedWrite
from dbskit.storage.tables import marking_codes

CodesByItem = dict[int, tuple[MarkingCode, ...]]


# Built once: read on every getOrder (see storage/orders.py).
_CODES_OF_ORDERS = (
    select(marking_codes)
    .where(marking_codes.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(marking_codes.c.order_id, marking_codes.c.item_id, marking_codes.c.position)
)


def codes_of_orders(conn: Connection, order_ids: Iterable[int]) -> dict[int, CodesByItem]:
    ids = list(order_ids)
    if not ids:
        return {}
    rows = conn.execute(_CODES_OF_ORDERS, {"order_ids": ids})
    found: dict[int, dict[int, list[MarkingCode]]] = {}
    for row in rows:
        code = MarkingCode(InstanceType(row.kind), row.value, row.cis, row.country_code)
        found.setdefault(row.order_id, {}).setdefault(row.item_id, []).append(code)
    return {
        order_id: {item_id: tuple(codes) for item_id, codes in items.items()}
        for order_id, items in found.items()
    }


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
