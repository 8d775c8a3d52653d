"""The key vault on SQLite and PostgreSQL: import, reservation per order item, release,
delivery, stock and export; no key reaches two orders, also with concurrent reservations."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import cast

import pytest

from dbskit.database.db import Database
from dbskit.settings import normalise_database_url
from dbskit.shop.storage import migrations, vault
from dbskit.shop.storage.key_rows import KEY_MAX_LENGTH, SLIP_MAX_LENGTH, InvalidKeyRows, KeyRow
from dbskit.shop.storage.vault import DuplicateKey, OutOfKeys

AT = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store_db(database_url: str) -> Iterator[Database]:
    db = Database(normalise_database_url(database_url))
    migrations.upgrade(db)
    yield db
    db.dispose()


def keys_of(offer_id: str, count: int, *, start: int = 0) -> list[KeyRow]:
    return [
        KeyRow(offer_id, f"{offer_id}-KEY-{n:05d}", line=n + 2) for n in range(start, start + count)
    ]


def test_import_adds_every_key_and_reports_the_stock(store_db: Database) -> None:
    rows = [*keys_of("GAME-1", 3), KeyRow("GAME-2", "G2", date(2031, 1, 31), "<p>Enjoy</p>")]
    report = vault.import_keys(store_db, rows)
    assert (report.imported, report.duplicates) == (4, ())
    assert [
        (s.offer_id, s.available, s.reserved, s.delivered) for s in vault.stock(store_db, 2)
    ] == [
        ("GAME-1", 3, 0, 0),
        ("GAME-2", 1, 0, 0),
    ]
    assert [s.low for s in vault.stock(store_db, 2)] == [False, True]
    with store_db.write() as tx:
        (key,) = vault.reserve(tx, order_id=1, item_id=10, offer_id="GAME-2", count=1)
    assert (key.key, key.activate_till, key.slip) == ("G2", date(2031, 1, 31), "<p>Enjoy</p>")


def test_import_skips_keys_already_in_the_vault_and_repeats_in_the_rows(store_db: Database) -> None:
    vault.import_keys(store_db, keys_of("GAME-1", 2))
    again = [
        *keys_of("GAME-1", 3),  # lines 2 and 3 already stored, line 4 new
        KeyRow("GAME-1", "GAME-1-KEY-00002", line=5),  # repeats line 4
        KeyRow("GAME-9", "GAME-1-KEY-00000", line=6),  # same key, another offer: a new key
    ]
    report = vault.import_keys(store_db, again)
    assert report.imported == 2
    assert report.duplicates == (
        DuplicateKey("GAME-1", 2, in_rows=False),
        DuplicateKey("GAME-1", 3, in_rows=False),
        DuplicateKey("GAME-1", 5, in_rows=True),
    )
    assert {s.offer_id: s.available for s in vault.stock(store_db, 0)} == {"GAME-1": 3, "GAME-9": 1}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (KeyRow("", "K", line=3), "line 3: offerId is missing"),
        (KeyRow("GAME-1", "", line=3), "line 3: key is missing"),
        (KeyRow("GAME\x01", "K", line=3), "offerId 'GAME\\x01' does not match"),
        (KeyRow("G" * 256, "K", line=3), "does not match the Market's offerId pattern"),
        (KeyRow("GAME-1", "K" * (KEY_MAX_LENGTH + 1), line=3), "at most 256"),
        (KeyRow("GAME-1", "K", slip="s" * (SLIP_MAX_LENGTH + 1), line=3), "at most 10000"),
    ],
)
def test_an_invalid_row_refuses_the_whole_import(
    store_db: Database, row: KeyRow, message: str
) -> None:
    with pytest.raises(InvalidKeyRows) as refused:
        vault.import_keys(store_db, [*keys_of("GAME-1", 2), row])
    assert any(message in str(problem) for problem in refused.value.problems)
    assert vault.stock(store_db, 0) == []


def test_keys_at_the_limits_are_taken(store_db: Database) -> None:
    row = KeyRow("G" * 255, "K" * KEY_MAX_LENGTH, slip="s" * SLIP_MAX_LENGTH)
    assert vault.import_keys(store_db, [row]).imported == 1


def test_reserve_is_idempotent_per_order_item(store_db: Database) -> None:
    vault.import_keys(store_db, keys_of("GAME-1", 5))
    with store_db.write() as tx:
        first = vault.reserve(tx, order_id=1, item_id=10, offer_id="GAME-1", count=2, now=AT)
    with store_db.write() as tx:  # the delivery failed: the retry gets the same keys
        again = vault.reserve(tx, order_id=1, item_id=10, offer_id="GAME-1", count=2)
        other = vault.reserve(tx, order_id=2, item_id=20, offer_id="GAME-1", count=2)
    assert again == first
    assert not {k.key for k in first} & {k.key for k in other}
    with store_db.read() as tx:
        held = vault.reserved_for(tx, 1)
    assert held == {10: first}
    (stock,) = vault.stock(store_db, 0)
    assert (stock.available, stock.reserved) == (1, 4)


def test_too_few_keys_raise_out_of_keys_and_reserve_nothing(store_db: Database) -> None:
    vault.import_keys(store_db, keys_of("GAME-1", 2))
    with store_db.write() as tx, pytest.raises(OutOfKeys) as out:
        vault.reserve(tx, order_id=1, item_id=10, offer_id="GAME-1", count=3)
    assert (out.value.offer_id, out.value.needed, out.value.available) == ("GAME-1", 3, 2)
    (stock,) = vault.stock(store_db, 0)
    assert (stock.available, stock.reserved) == (2, 0)


def test_release_puts_reserved_keys_back_and_delivered_keys_stay(store_db: Database) -> None:
    vault.import_keys(store_db, keys_of("GAME-1", 4))
    with store_db.write() as tx:
        delivered = vault.reserve(tx, order_id=1, item_id=10, offer_id="GAME-1", count=1)
        vault.reserve(tx, order_id=2, item_id=20, offer_id="GAME-1", count=2)
    with store_db.write() as tx:
        assert vault.mark_delivered(tx, 1, AT) == 1
        assert vault.release(tx, 1) == 0  # delivered keys never return to stock
        assert vault.release(tx, 2) == 2
    (stock,) = vault.stock(store_db, 0)
    assert (stock.available, stock.reserved, stock.delivered) == (3, 0, 1)
    with store_db.write() as tx:  # the delivered order item still has its key
        assert vault.reserve(tx, order_id=1, item_id=10, offer_id="GAME-1", count=1) == delivered
    exported = list(vault.delivered(store_db))
    assert [(d.key, d.order_id, d.item_id, d.delivered_at) for d in exported] == [
        (delivered[0].key, 1, 10, AT)
    ]


def _reserve_from_own_engine(url: str, orders: range, found: list[object]) -> None:
    db = Database(url, pool_size=1)
    try:
        for order_id in orders:
            try:
                with db.write() as tx:
                    keys = vault.reserve(
                        tx, order_id=order_id, item_id=order_id, offer_id="GAME-1", count=2
                    )
                found.extend(key.key for key in keys)
            except OutOfKeys:
                found.append(None)
    finally:
        db.dispose()


def test_concurrent_reservations_from_separate_engines_never_share_a_key(
    store_db: Database,
) -> None:
    vault.import_keys(store_db, keys_of("GAME-1", 30))
    results: list[list[object]] = [[] for _ in range(4)]
    threads = [
        threading.Thread(
            target=_reserve_from_own_engine,
            args=(store_db.url, range(100 * n, 100 * n + 5), results[n]),
        )
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handed = [key for found in results for key in found if key is not None]
    refused = [key for found in results for key in found if key is None]
    # 20 order items of 2 keys from 30 keys: exactly 15 are served, none twice.
    assert len(handed) == 30
    assert len(set(handed)) == 30
    assert len(refused) == 5


def _reserve_in_process(url: str, first_order: int, out: multiprocessing.Queue[object]) -> None:
    found: list[object] = []
    _reserve_from_own_engine(url, range(first_order, first_order + 8), found)
    out.put(found)


@pytest.mark.postgres
def test_two_processes_on_postgresql_never_share_a_key(store_db: Database) -> None:
    if store_db.dialect != "postgresql":
        pytest.skip("the several-processes case is PostgreSQL's")
    vault.import_keys(store_db, keys_of("GAME-1", 20))
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[object] = context.Queue()
    processes = [
        context.Process(target=_reserve_in_process, args=(store_db.url, first, queue))
        for first in (1_000, 2_000)
    ]
    for process in processes:
        process.start()
    results = [cast(list[str | None], queue.get(timeout=60)) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    handed = [key for found in results for key in found if key is not None]
    # 16 order items of 2 keys from 20 keys: 10 served, 6 refused, no key twice.
    assert len(handed) == 20
    assert len(set(handed)) == 20
    (stock,) = vault.stock(store_db, 0)
    assert (stock.available, stock.reserved) == (0, 20)
