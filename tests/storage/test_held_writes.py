"""Write transactions of the request handlers (``Database.run_write``).

On PostgreSQL their INSERT, UPDATE and DELETE statements are held until the transaction's next
read or its COMMIT (storage/held_writes.py); on SQLite they run at once. Either way what is
written reads back exactly, and a transaction that fails leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbskit.contract.digital_goods import DigitalGoodsSubmission, DigitalItemKeys, KeyBatch
from dbskit.contract.enums import InstanceType
from dbskit.market.domain.marking import MarkingCode
from dbskit.market.domain.order import Order, Track
from dbskit.storage.db import Database
from dbskit.storage.digital_keys import load_keys, store_keys
from dbskit.storage.marking_codes import kept_codes, lock_order_for_codes, replace_codes
from dbskit.storage.orders import insert_order, touch_order
from dbskit.storage.tables import orders
from dbskit.storage.tracks import lock_tracked_order, set_current_track, track_history
from tests.storage.test_order_lines_repository import codes_of_orders
from tests.unit.factories import make_order

NOW = datetime(2030, 3, 2, 6, 0, 0, 123456, tzinfo=UTC)
# Text a client-side bound statement must carry through unchanged: quotes, backslashes,
# placeholders of either style, a semicolon that could end a statement, and non-ASCII letters.
AWKWARD = "O'Brien \\ 100% %s %(id)s $1; -- Ключ «ы» 🔑"


@pytest.fixture
def postgres(db: Database) -> Database:
    if db.dialect != "postgresql":
        pytest.skip("writes are held on PostgreSQL only")
    return db


@pytest.fixture
def order(db: Database, campaign: int) -> Order:
    """A stored order of the campaign, in PROCESSING."""
    stored = make_order(campaign_id=campaign)
    with db.write() as conn:
        insert_order(conn, stored)
    return stored


@pytest.fixture
def sent_queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The text of each query a held-writes transaction sends (one per round trip)."""
    sent: list[str] = []
    execute = psycopg.ClientCursor.execute

    def counting(cursor: psycopg.ClientCursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.ClientCursor, "execute", counting)
    yield sent


async def test_a_write_sends_its_lock_then_its_writes_and_commit(
    postgres: Database, campaign: int, order: Order, sent_queries: list[str]
) -> None:

    def work(conn: sa.Connection) -> None:
        assert lock_tracked_order(conn, campaign_id=campaign, order_id=order.id) is not None
        set_current_track(
            conn, order_id=order.id, campaign_id=campaign, track=Track(AWKWARD, 7), now=NOW
        )

    await postgres.run_write(work)

    assert len(sent_queries) == 2
    assert sent_queries[0].startswith("BEGIN;") and "FOR UPDATE" in sent_queries[0]
    assert sent_queries[1].startswith("INSERT INTO order_tracks")
    assert sent_queries[1].endswith("COMMIT")
    with postgres.read() as conn:
        [record] = track_history(conn, order.id)
        current = conn.execute(
            sa.select(orders.c.track_code, orders.c.track_service_id).where(orders.c.id == order.id)
        ).one()
    assert (record.track, record.set_at) == (Track(AWKWARD, 7), NOW)
    assert tuple(current) == (AWKWARD, 7)


async def test_an_order_lock_goes_with_the_read_after_it(
    postgres: Database, campaign: int, order: Order, sent_queries: list[str]
) -> None:
    """The lock of PUT identifiers and its read of the items are one query: the read is a
    statement of its own, which starts once the lock is held."""
    item_id = order.items[0].id
    codes = (MarkingCode(InstanceType.UIN, "1234567890123456"),)

    def work(conn: sa.Connection) -> None:
        assert lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id) is not None
        replace_codes(conn, order_id=order.id, codes={item_id: codes})

    await postgres.run_write(work)

    assert len(sent_queries) == 2
    lock, read = sent_queries[0].split(";\n")[1:]
    assert lock.endswith("FOR UPDATE") and "order_items" not in lock
    assert "order_items" in read and "FOR UPDATE" not in read
    assert sent_queries[1].startswith("UPDATE order_items") and sent_queries[1].endswith("COMMIT")


async def test_a_call_that_waited_for_the_order_reads_what_the_first_one_wrote(
    postgres: Database, campaign: int, order: Order
) -> None:
    item_id = order.items[0].id
    first_codes = (MarkingCode(InstanceType.UIN, "1234567890123456"),)
    locked = asyncio.Event()
    loop = asyncio.get_running_loop()

    def first(conn: sa.Connection) -> None:
        assert lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id) is not None
        loop.call_soon_threadsafe(locked.set)
        time.sleep(0.3)  # the second call starts meanwhile and waits for the lock
        replace_codes(conn, order_id=order.id, codes={item_id: first_codes})

    def second(conn: sa.Connection) -> dict[int, tuple[MarkingCode, ...]]:
        found = lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id)
        assert found is not None
        return kept_codes(found, listed=set())

    first_call = asyncio.create_task(postgres.run_write(first))
    await locked.wait()
    seen = await postgres.run_write(second)
    await first_call
    assert seen == {item_id: first_codes}


async def test_a_write_refused_before_its_first_read_sends_nothing(
    postgres: Database, sent_queries: list[str]
) -> None:
    def work(conn: sa.Connection) -> None:
        raise LookupError("refused by a rule")

    with pytest.raises(LookupError):
        await postgres.run_write(work)
    assert sent_queries == []


async def test_a_failing_held_write_undoes_the_writes_before_it(
    postgres: Database, campaign: int, order: Order
) -> None:

    def work(conn: sa.Connection) -> None:
        touch_order(conn, order.id, NOW, track_code="held")
        # A track of an order that does not exist breaks the foreign key when it is sent.
        set_current_track(
            conn, order_id=order.id + 1, campaign_id=campaign, track=Track("T", 7), now=NOW
        )

    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        await postgres.run_write(work)
    with postgres.read() as conn:
        row = conn.execute(sa.select(orders.c.track_code, orders.c.updated_at)).one()
    assert tuple(row) == (None, order.updated_at)

    # The connection went back to the pool usable: the next write on it commits.
    await postgres.run_write(lambda conn: touch_order(conn, order.id, NOW, track_code="next"))
    with postgres.read() as conn:
        assert conn.execute(sa.select(orders.c.track_code)).scalar_one() == "next"


async def test_statements_run_through_sqlalchemy_see_the_writes_held_before_them(
    postgres: Database, order: Order
) -> None:

    def work(conn: sa.Connection) -> str | None:
        touch_order(conn, order.id, NOW, track_code=AWKWARD)
        found: str | None = conn.execute(
            sa.select(orders.c.track_code).where(orders.c.id == order.id)
        ).scalar_one()
        return found

    assert await postgres.run_write(work) == AWKWARD


async def test_keys_and_codes_written_by_a_handler_read_back_exactly(
    db: Database, order: Order
) -> None:
    """On both databases: the values of a request handler's write, awkward text included."""
    submission = DigitalGoodsSubmission(
        (
            DigitalItemKeys(
                order.items[0].id,
                (KeyBatch((AWKWARD, "K-2"), f"<p>{AWKWARD}</p>", date(2030, 4, 1)),),
                0,
            ),
        )
    )
    codes = (
        MarkingCode(InstanceType.CIS, f"010464007801637221{AWKWARD}\x1d93Zjqw", "0104640078016372"),
        MarkingCode(InstanceType.GTD, "10702070/010122/0000001", country_code="CN"),
    )

    def work(conn: sa.Connection) -> None:
        store_keys(
            conn,
            order_id=order.id,
            submission=submission,
            late_by=timedelta(minutes=3),
            now=NOW,
            email_due_at=NOW + timedelta(hours=1),
            replacing=False,
        )
        replace_codes(conn, order_id=order.id, codes={order.items[0].id: codes})

    await db.run_write(work)
    with db.read() as conn:
        stored = load_keys(conn, order.id)
        assert codes_of_orders(conn, [order.id]) == {order.id: {order.items[0].id: codes}}
    assert stored is not None
    assert (stored.submission, stored.digest, stored.late_by) == (
        submission,
        submission.digest(),
        timedelta(minutes=3),
    )


async def test_the_ends_of_int64_reach_postgresql_as_numbers(
    postgres: Database, campaign: int, order: Order
) -> None:
    """psycopg writes a negative literal as ``-9223372036854775808``; before a cast it would be
    read as the negation of a number out of range."""

    def work(conn: sa.Connection) -> tuple[object, object]:
        touch_order(conn, order.id, NOW, track_service_id=-(2**63))
        return (
            lock_tracked_order(conn, campaign_id=campaign, order_id=-(2**63)),
            lock_tracked_order(conn, campaign_id=campaign, order_id=2**63 - 1),
        )

    assert await postgres.run_write(work) == (None, None)
    with postgres.read() as conn:
        assert conn.execute(sa.select(orders.c.track_service_id)).scalar_one() == -(2**63)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
    service=st.integers(-(2**63), 2**63 - 1),
    at=st.datetimes(timezones=st.just(UTC)),
)
def test_held_values_read_back_as_they_were_given(
    postgres: Database, campaign: int, code: str, service: int, at: datetime
) -> None:
    """Any text PostgreSQL can hold, any int64 and any time, bound as literals by the driver."""
    order = make_order(campaign_id=campaign, id=make_order().id + service % 1_000_000)
    with postgres.write() as conn:
        if conn.execute(sa.select(orders.c.id).where(orders.c.id == order.id)).first() is None:
            insert_order(conn, order)

    def work(conn: sa.Connection) -> tuple[str | None, int | None]:
        touch_order(conn, order.id, at, track_code=code, track_service_id=service)
        tracked = lock_tracked_order(conn, campaign_id=campaign, order_id=order.id)
        assert tracked is not None and tracked.track is not None
        return tracked.track.track_code, tracked.track.delivery_service_id

    assert asyncio.run(postgres.run_write(work)) == (code, service)
    with postgres.read() as conn:
        row = conn.execute(
            sa.select(orders.c.track_code, orders.c.track_service_id, orders.c.updated_at).where(
                orders.c.id == order.id
            )
        ).one()
    assert tuple(row) == (code, service, at)
