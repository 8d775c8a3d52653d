"""The one cache of order reads: each order's rendered document, as bytes, kept while the
database is unchanged (docs/decisions.md, "Each order's documents kept while the database is
unchanged").

getOrder keeps its whole answer, getOrders and getBusinessOrders each order of a page: a page
reads which orders it holds, then renders only those not kept. Nothing is keyed by a request: a
document is one order's, as one renderer writes it.

On SQLite every commit, by any connection of any process, changes ``Database.data_version``, so a
document kept under the version it was read at is what reading again would give; any commit drops
them all. PostgreSQL has no such number: there each call renders what it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from dbskit.database.db import Database
from dbskit.market.domain.order import Order

# One order's document; the function itself tells documents of one order apart.
Render = Callable[[Order], bytes]
DOCUMENTS_KEPT: Final = 20_000  # a few hundred bytes to a few KB each
BYTES_KEPT: Final = 64 << 20  # and at most this much: an order with 5,000 codes is ~300 KB


class Shelf:
    """The documents of one version of the database.

    Read and filled by the worker threads that read pages, as well as on the loop: a dict's get
    and set are each atomic (the byte count, a bound, may miss a concurrent put). Full, it is
    emptied and fills again.
    """

    __slots__ = ("_bytes", "_capacity", "_documents")

    def __init__(self, capacity: int = DOCUMENTS_KEPT) -> None:
        self._documents: dict[tuple[Render, int, int], bytes] = {}
        self._capacity = capacity
        self._bytes = 0

    def get(self, render: Render, *, campaign_id: int, order_id: int) -> bytes | None:
        return self._documents.get((render, campaign_id, order_id))

    def put(self, render: Render, order: Order) -> bytes:
        """The order's document, rendered now and kept."""
        found = render(order)
        if len(self._documents) >= self._capacity or self._bytes + len(found) > BYTES_KEPT:
            self._documents.clear()
            self._bytes = 0
        self._documents[(render, order.campaign_id, order.id)] = found
        self._bytes += len(found)
        return found


class OrderDocuments:
    """The shelf of the database as it is now, for one call."""

    def __init__(self, db: Database, capacity: int = DOCUMENTS_KEPT) -> None:
        self._db = db
        self._capacity = capacity
        self._version: int | None = None
        self._shelf = Shelf(capacity)

    def shelf(self) -> Shelf:
        """Asked before the read: a commit after it leaves the shelf to a version that is gone.
        Without a version (PostgreSQL, or the loop's connection busy) a shelf of the call alone."""
        version = self._db.data_version()
        if version is None:
            return Shelf(self._capacity)
        if version != self._version:
            self._shelf = Shelf(self._capacity)
            self._version = version
        return self._shelf
