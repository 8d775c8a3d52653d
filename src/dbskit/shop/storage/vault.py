"""The key vault: digital keys per offer, each handed to one order item at most once.

A key is AVAILABLE, RESERVED for one (order, item), or DELIVERED. ``reserve`` is idempotent per
order item: the keys it holds are returned again, so a delivery that failed is retried with the
same keys, which stay with their order until it is delivered (``mark_delivered``) or cancelled
(``release``). Reservations of one offer are serialised: on SQLite every write transaction holds
the database's one write lock (``BEGIN IMMEDIATE``), across processes; on PostgreSQL a
transaction-level advisory lock on the offer, so that two store processes never pick the same
free keys and never see fewer than there are (``docs/decisions.md``, The key vault).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from dbskit.database.db import Database, Transaction
from dbskit.database.values import to_micros
from dbskit.shop.storage.key_rows import InvalidKeyRows, KeyRow, row_problems
from dbskit.shop.storage.tables import KEY_AVAILABLE, KEY_DELIVERED, KEY_RESERVED, keys

# Keys looked up or written per statement on import: under SQLite's 32,766 bound parameters
# and PostgreSQL's 65,535, and small enough that one chunk costs a few milliseconds.
IMPORT_CHUNK = 1_000
# The advisory locks' first number (their namespace): the offer's hash is the second.
_OFFER_LOCK_SPACE = 7300423


@dataclass(frozen=True, slots=True)
class VaultKey:
    id: int
    offer_id: str
    key: str
    activate_till: date | None
    slip: str | None


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """A row the import skipped: its key is already in the vault for that offer, or appeared
    earlier in the same rows (``in_rows``)."""

    offer_id: str
    line: int | None
    in_rows: bool


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int
    duplicates: tuple[DuplicateKey, ...]


@dataclass(frozen=True, slots=True)
class OfferStock:
    offer_id: str
    available: int
    reserved: int
    delivered: int
    low: bool  # fewer available than the threshold asked for


@dataclass(frozen=True, slots=True)
class DeliveredKey:
    offer_id: str
    key: str
    order_id: int
    item_id: int
    delivered_at: datetime


class OutOfKeys(Exception):
    """Fewer free keys of the offer than an order item needs; nothing was reserved."""

    def __init__(self, offer_id: str, needed: int, available: int) -> None:
        self.offer_id = offer_id
        self.needed = needed
        self.available = available
        super().__init__(f"offer {offer_id}: {needed} keys needed, {available} available")


def import_keys(
    db: Database, rows: Iterable[KeyRow], *, now: datetime | None = None
) -> ImportReport:
    """Add ``rows`` to the vault in one transaction: all of them or, when any row is invalid
    (``InvalidKeyRows``), none. A key already in the vault for its offer, or repeated in
    ``rows``, is skipped and reported."""
    rows = list(rows)
    problems = [problem for row in rows for problem in row_problems(row)]
    if problems:
        raise InvalidKeyRows(problems)
    seen: set[tuple[str, str]] = set()
    fresh: list[KeyRow] = []
    duplicates: list[DuplicateKey] = []
    for row in rows:
        ident = (row.offer_id, row.key)
        if ident in seen:
            duplicates.append(DuplicateKey(row.offer_id, row.line, in_rows=True))
        else:
            seen.add(ident)
            fresh.append(row)
    imported_at = now or datetime.now(UTC)
    with db.write() as conn:
        if conn.dialect.name == "sqlite":
            skipped = _insert_one_by_one(conn, fresh, imported_at)
        else:
            skipped = _insert_in_chunks(conn, fresh, imported_at)
    duplicates += [DuplicateKey(row.offer_id, row.line, in_rows=False) for row in skipped]
    duplicates.sort(key=lambda found: (found.line is None, found.line or 0))
    return ImportReport(imported=len(fresh) - len(skipped), duplicates=tuple(duplicates))


# SQLite: one INSERT per key on the driver's cursor, whose row count says whether it added the
# key. In SQLite's one write transaction nothing else writes meanwhile, and each statement costs
# a few microseconds: cheaper than looking the keys up first. The statement is Core's, compiled
# once; the loop passes plain tuples (``driver_statements.py`` does the same per call, at several
# times the cost per row, which 100,000 keys would feel).
_INSERT_IF_NEW = sqlite.insert(keys).on_conflict_do_nothing(index_elements=["offer_id", "key"])
_INSERTED_COLUMNS = ("offer_id", "key", "activate_till", "slip", "state", "imported_at")


def _insert_one_by_one(
    conn: Transaction, rows: list[KeyRow], imported_at: datetime
) -> list[KeyRow]:
    """Insert each row that is new; the rows that were already stored."""
    compiled = _INSERT_IF_NEW.compile(dialect=conn.dialect, column_keys=list(_INSERTED_COLUMNS))
    if compiled.positiontup != list(_INSERTED_COLUMNS):  # qmark: the tuples' order
        raise RuntimeError(f"unexpected parameter order {compiled.positiontup}")
    at = to_micros(imported_at)
    skipped = []
    cursor = conn.connection.cursor()
    try:
        for row in rows:
            till = row.activate_till.isoformat() if row.activate_till else None
            cursor.execute(
                compiled.string, (row.offer_id, row.key, till, row.slip, KEY_AVAILABLE, at)
            )
            if cursor.rowcount == 0:
                skipped.append(row)
    finally:
        cursor.close()
    return skipped


# PostgreSQL: a statement per key would cost a round trip each; the keys already stored are
# looked up in chunks, and the new ones inserted in chunks.
_STORED_OF_OFFER = select(keys.c.key).where(
    keys.c.offer_id == bindparam("offer_id"), keys.c.key.in_(bindparam("keys", expanding=True))
)
# A key another process imported since the look-up is skipped rather than failing the import.
_INSERT_NEW = postgresql.insert(keys).on_conflict_do_nothing(index_elements=["offer_id", "key"])


def _insert_in_chunks(conn: Transaction, rows: list[KeyRow], imported_at: datetime) -> list[KeyRow]:
    """Insert the rows that are new; the rows that were already stored."""
    stored = _already_stored(conn, rows)
    new_rows = [row for row in rows if (row.offer_id, row.key) not in stored]
    for start in range(0, len(new_rows), IMPORT_CHUNK):
        chunk = new_rows[start : start + IMPORT_CHUNK]
        conn.execute(_INSERT_NEW, [_stored_values(row, imported_at) for row in chunk])
    return [row for row in rows if (row.offer_id, row.key) in stored]


def _already_stored(conn: Transaction, rows: list[KeyRow]) -> set[tuple[str, str]]:
    by_offer: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_offer[row.offer_id].append(row.key)
    stored: set[tuple[str, str]] = set()
    for offer_id, offer_keys in by_offer.items():
        for start in range(0, len(offer_keys), IMPORT_CHUNK):
            chunk = offer_keys[start : start + IMPORT_CHUNK]
            found = conn.execute(_STORED_OF_OFFER, {"offer_id": offer_id, "keys": chunk})
            stored.update((offer_id, key) for (key,) in found)
    return stored


def _stored_values(row: KeyRow, imported_at: datetime) -> dict[str, object]:
    return {
        "offer_id": row.offer_id,
        "key": row.key,
        "activate_till": row.activate_till.isoformat() if row.activate_till else None,
        "slip": row.slip,
        "state": KEY_AVAILABLE,
        "imported_at": imported_at,
    }


_HELD = (
    select(keys.c.id, keys.c.offer_id, keys.c.key, keys.c.activate_till, keys.c.slip)
    .where(keys.c.order_id == bindparam("order_id"), keys.c.item_id == bindparam("item_id"))
    .order_by(keys.c.id)
)
_FREE = (
    select(keys.c.id, keys.c.offer_id, keys.c.key, keys.c.activate_till, keys.c.slip)
    .where(keys.c.offer_id == bindparam("offer_id"), keys.c.state == KEY_AVAILABLE)
    .order_by(keys.c.id)
    .limit(bindparam("needed"))
    .with_for_update()
)
_RESERVE = (
    update(keys)
    .where(keys.c.id.in_(bindparam("ids", expanding=True)), keys.c.state == KEY_AVAILABLE)
    .values(
        state=KEY_RESERVED,
        order_id=bindparam("r_order_id"),
        item_id=bindparam("r_item_id"),
        reserved_at=bindparam("r_at"),
    )
)


def reserve(
    tx: Transaction,
    *,
    order_id: int,
    item_id: int,
    offer_id: str,
    count: int,
    now: datetime | None = None,
) -> list[VaultKey]:
    """``count`` keys of ``offer_id`` for the order item, oldest imported first. The keys the
    item already holds (reserved or delivered) are returned again, topped up to ``count`` if
    fewer. ``OutOfKeys`` when the offer has too few free keys: this call then reserves nothing."""
    _lock_offer(tx, offer_id)
    held = [
        _vault_key(row) for row in tx.execute(_HELD, {"order_id": order_id, "item_id": item_id})
    ]
    needed = count - len(held)
    if needed <= 0:
        return held
    free = [_vault_key(row) for row in tx.execute(_FREE, {"offer_id": offer_id, "needed": needed})]
    if len(free) < needed:
        raise OutOfKeys(offer_id, needed, len(free))
    changed = tx.execute(
        _RESERVE,
        {
            "ids": [key.id for key in free],
            "r_order_id": order_id,
            "r_item_id": item_id,
            "r_at": now or datetime.now(UTC),
        },
    ).rowcount
    if changed != needed:  # the lock makes this impossible; never hand out a key twice
        raise RuntimeError(f"offer {offer_id}: keys changed under the reservation's lock")
    return held + free


def _lock_offer(tx: Transaction, offer_id: str) -> None:
    if tx.dialect.name == "postgresql":
        tx.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:offer_id))"),
            {"space": _OFFER_LOCK_SPACE, "offer_id": offer_id},
        )


_RELEASE = (
    update(keys)
    .where(keys.c.order_id == bindparam("o_id"), keys.c.state == KEY_RESERVED)
    .values(state=KEY_AVAILABLE, order_id=None, item_id=None, reserved_at=None)
)


def release(tx: Transaction, order_id: int) -> int:
    """The order's reserved keys back to stock (a cancelled order); delivered keys stay
    delivered. How many were released."""
    return int(tx.execute(_RELEASE, {"o_id": order_id}).rowcount)


_DELIVER = (
    update(keys)
    .where(keys.c.order_id == bindparam("o_id"), keys.c.state == KEY_RESERVED)
    .values(state=KEY_DELIVERED, delivered_at=bindparam("at"))
)


def mark_delivered(tx: Transaction, order_id: int, at: datetime) -> int:
    """The order's reserved keys are delivered: they never return to stock. How many."""
    return int(tx.execute(_DELIVER, {"o_id": order_id, "at": at}).rowcount)


_OF_ORDER = (
    select(
        keys.c.item_id, keys.c.id, keys.c.offer_id, keys.c.key, keys.c.activate_till, keys.c.slip
    )
    .where(keys.c.order_id == bindparam("o_id"))
    .order_by(keys.c.item_id, keys.c.id)
)


def reserved_for(tx: Transaction, order_id: int) -> dict[int, list[VaultKey]]:
    """The keys the order holds, reserved or delivered, by item id."""
    held: dict[int, list[VaultKey]] = {}
    for item_id, *key in tx.execute(_OF_ORDER, {"o_id": order_id}):
        held.setdefault(item_id, []).append(_vault_key(key))
    return held


_STOCK = (
    select(keys.c.offer_id, keys.c.state, func.count())
    .group_by(keys.c.offer_id, keys.c.state)
    .order_by(keys.c.offer_id)
)


def stock(db: Database, low_stock_threshold: int) -> list[OfferStock]:
    """Keys per offer by state; ``low`` when fewer than ``low_stock_threshold`` are available."""
    counts: dict[str, dict[str, int]] = {}
    with db.read() as conn:
        for offer_id, state, count in conn.execute(_STOCK):
            counts.setdefault(offer_id, {})[state] = int(count)
    return [
        OfferStock(
            offer_id=offer_id,
            available=by_state.get(KEY_AVAILABLE, 0),
            reserved=by_state.get(KEY_RESERVED, 0),
            delivered=by_state.get(KEY_DELIVERED, 0),
            low=by_state.get(KEY_AVAILABLE, 0) < low_stock_threshold,
        )
        for offer_id, by_state in sorted(counts.items())
    ]


_DELIVERED = (
    select(keys.c.offer_id, keys.c.key, keys.c.order_id, keys.c.item_id, keys.c.delivered_at)
    .where(keys.c.state == KEY_DELIVERED)
    .order_by(keys.c.delivered_at, keys.c.id)
)
_EXPORT_BATCH = 1_000


def delivered(db: Database) -> Iterator[DeliveredKey]:
    """Every delivered key, in the order delivered (the export), read in one snapshot."""
    with db.read() as conn:
        result = conn.execution_options(yield_per=_EXPORT_BATCH).execute(_DELIVERED)
        for offer_id, key, order_id, item_id, delivered_at in result:
            yield DeliveredKey(offer_id, key, order_id, item_id, delivered_at)


def _vault_key(row: Sequence[Any]) -> VaultKey:
    key_id, offer_id, key, activate_till, slip = row
    return VaultKey(
        id=key_id,
        offer_id=offer_id,
        key=key,
        activate_till=date.fromisoformat(activate_till) if activate_till else None,
        slip=slip,
    )
