"""``dbskit store status``: what needs the seller, as lines of text.

Orders the seller must act on (out of keys, STEAM_GIFT and CHAT orders, cancellation requests
left to the seller, keys the Market refused), late deliveries (the 30-minute deadline on the
Market's clock, R-009) and the jobs waiting with their reasons.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbskit.database.db import Database
from dbskit.shop.storage.jobs import pending_summary
from dbskit.shop.storage.orders import StoreOrder, list_orders

# Ours: lines shown per section; the rest are counted.
SHOWN_PER_SECTION = 50


def _moment(order: StoreOrder) -> str:
    return order.delivered_at.isoformat() if order.delivered_at is not None else "-"


def store_status_lines(db: Database) -> Iterator[str]:
    needing = list_orders(db, needs_seller=True)
    yield f"orders needing the seller: {len(needing)}"
    for order in needing[:SHOWN_PER_SECTION]:
        yield f"  order {order.order_id} ({order.status}): {order.needs_seller}"
    late = list_orders(db, late=True)
    yield f"late deliveries: {len(late)}"
    for order in late[:SHOWN_PER_SECTION]:
        due = order.keys_due_at.isoformat() if order.keys_due_at is not None else "-"
        yield f"  order {order.order_id}: keys due {due}, delivered {_moment(order)}"
    summary = pending_summary(db)
    yield (
        f"jobs: {summary.pending} pending, {summary.running} running, "
        f"{len(summary.waiting)} waiting"
    )
    for job in summary.waiting[:SHOWN_PER_SECTION]:
        yield f"  waiting {job.key}: {job.reason} (next look {job.run_at.isoformat()})"
    for section in (needing, late, summary.waiting):
        if len(section) > SHOWN_PER_SECTION:
            yield f"  ... and {len(section) - SHOWN_PER_SECTION} more"
