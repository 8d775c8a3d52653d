"""Write transactions of the request handlers (``Database.run_write``), on both databases.

What is written reads back exactly, a statement that fails raises at that statement and its
transaction leaves nothing behind, and a call that waited for an order's lock reads what the
call before it wrote.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbskit.contract.digital_goods import DigitalGoodsSubmission, DigitalItemKeys, KeyBatch
from dbskit.contract.enums import InstanceType
from dbskit.database.db import Database
from dbskit.market.domain.marking import MarkingCode
from dbskit.market.domain.order import Order, Track
from dbskit.market.storage.digital_keys import load_keys, store_keys
from dbskit.market.storage.marking_codes import kept_codes, lock_order_for_codes, replace_codes
from dbskit.market.storage.orders import insert_order, touch_order
from dbskit.market.storage.tables import orders
from dbskit.market.storage.tracks import lock_tracked_order, set_current_track
from tests.storage.test_order_lines_repository import codes_of_orders
from tests.unit.factories import make_order

NOW = datetime(2030, 3, 2, 6, 0, 0, 123456, tzinfo=UTC)
# Text a statement must carry through unchanged: quotes, backslashes, placeholders of either
# style, a semicolon that could end a statement, and non-ASCII letters.
AWKWARD = "O'Brien \\ 100% %s %(id)s $1; -- Ключ «ы» 🔑"


@pytest.fixture
def postgres(db: Database) -> Database:
    if db.dialect != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite's writers hold the whole database)")
    return db


@pytest.fixture
def order(db: Database, campaign: int) -> Order:
    """A stored order of the campaign, in PROCESSING."""
    stored = make_order(campaign_id=campaign)
    with db.write() as conn:
        insert_order(conn, stored)
    return stored


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
        replace_codes(conn, order_id=order.id, codes={item_id: first_codes}, now=NOW)

    def second(conn: sa.Connection) -> dict[int, tuple[MarkingCode, ...]]:
        found = lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id)
        assert found is not None
        return kept_codes(found, listed=set())

    first_call = asyncio.create_task(postgres.run_write(first))
    await locked.wait()
    seen = await postgres.run_write(second)
    await first_call
    assert seen == {item_id: first_codes}


@pytest.mark.parametrize("short", [False, True], ids=["in-thread", "short"])
async def test_a_failing_write_raises_at_its_statement_and_undoes_the_writes_before_it(
    db: Database, campaign: int, order: Order, short: bool
) -> None:
    reached: list[str] = []

    def work(conn: sa.Connection) -> None:
        touch_order(conn, order.id, NOW, track_code="first")
        try:
            # A track of an order that does not exist breaks the foreign key.
            set_current_track(
                conn, order_id=order.id + 1, campaign_id=campaign, track=Track("T", 7), now=NOW
            )
        except sa.exc.IntegrityError:
            reached.append("the failing statement raised")
            raise
        reached.append("after the failing statement")

    with pytest.raises(sa.exc.IntegrityError):
        await db.run_write(work, short=short)
    assert reached == ["the failing statement raised"]
    with db.read() as conn:
        row = conn.execute(sa.select(orders.c.track_code, orders.c.updated_at)).one()
    assert tuple(row) == (None, order.updated_at)

    # The connection went back usable: the next write commits.
    await db.run_write(
        lambda conn: touch_order(conn, order.id, NOW, track_code="next"), short=short
    )
    with db.read() as conn:
        assert conn.execute(sa.select(orders.c.track_code)).scalar_one() == "next"


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
        replace_codes(conn, order_id=order.id, codes={order.items[0].id: codes}, now=NOW)

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


async def test_the_ends_of_int64_are_stored_and_compared_as_numbers(
    db: Database, campaign: int, order: Order
) -> None:

    def work(conn: sa.Connection) -> tuple[object, object]:
        touch_order(conn, order.id, NOW, track_service_id=-(2**63))
        return (
            lock_tracked_order(conn, campaign_id=campaign, order_id=-(2**63)),
            lock_tracked_order(conn, campaign_id=campaign, order_id=2**63 - 1),
        )

    assert await db.run_write(work, short=True) == (None, None)
    with db.read() as conn:
        assert conn.execute(sa.select(orders.c.track_service_id)).scalar_one() == -(2**63)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
    service=st.integers(-(2**63), 2**63 - 1),
    at=st.datetimes(timezones=st.just(UTC)),
)
def test_written_values_read_back_as_they_were_given(
    db: Database, campaign: int, code: str, service: int, at: datetime
) -> None:
    """Any text both databases can hold, any int64 and any time."""
    order = make_order(campaign_id=campaign, id=make_order().id + service % 1_000_000)
    with db.write() as conn:
        if conn.execute(sa.select(orders.c.id).where(orders.c.id == order.id)).first() is None:
            insert_order(conn, order)

    def work(conn: sa.Connection) -> tuple[str | None, int | None]:
        touch_order(conn, order.id, at, track_code=code, track_service_id=service)
        tracked = lock_tracked_order(conn, campaign_id=campaign, order_id=order.id)
        assert tracked is not None and tracked.track is not None
        return tracked.track.track_code, tracked.track.delivery_service_id

    assert asyncio.run(db.run_write(work)) == (code, service)
    with db.read() as conn:
        row = conn.execute(
            sa.select(orders.c.track_code, orders.c.track_service_id, orders.c.updated_at).where(
                orders.c.id == order.id
            )
        ).one()
    assert tuple(row) == (code, service, at)
