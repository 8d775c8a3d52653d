"""Delivered keys and marking codes round-trip through the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from dbskit.contract.digital_goods import DigitalGoodsSubmission, DigitalItemKeys, KeyBatch
from dbskit.contract.enums import InstanceType, OrderStatus, Vat
from dbskit.database.db import Database
from dbskit.market.domain.digital_goods import PreviousKeys
from dbskit.market.domain.marking import MarkingCode
from dbskit.market.domain.order import OrderItem
from dbskit.market.storage.digital_keys import (
    StoredKeys,
    count_repeat,
    load_keys,
    mark_emailed,
    previous_keys,
    store_keys,
)
from dbskit.market.storage.marking_codes import (
    ItemForCodes,
    OrderForCodes,
    kept_codes,
    lock_order_for_codes,
    replace_codes,
)
from dbskit.market.storage.orders import insert_order
from dbskit.market.storage.tables import order_items
from tests.unit.factories import make_order

NOW = datetime(2030, 3, 2, 6, 0, 0, 123456, tzinfo=UTC)
EMAIL_DUE = NOW + timedelta(hours=1)


def codes_of_orders(
    conn: sa.Connection, order_ids: list[int]
) -> dict[int, dict[int, tuple[MarkingCode, ...]]]:
    """Every stored code of these orders, by order and item, in the order they were sent."""
    rows = conn.execute(
        sa.select(order_items.c.order_id, order_items.c.item_id, order_items.c.instances)
        .where(order_items.c.order_id.in_(order_ids), order_items.c.instances.is_not(None))
        .order_by(order_items.c.order_id, order_items.c.item_id)
    )
    found: dict[int, dict[int, tuple[MarkingCode, ...]]] = {}
    for order_id, item_id, codes in rows:
        found.setdefault(order_id, {})[item_id] = codes
    return found


def keys(*items: tuple[int, tuple[str, ...]]) -> DigitalGoodsSubmission:
    return DigitalGoodsSubmission(
        tuple(
            DigitalItemKeys(item_id, (KeyBatch(codes, "<p>Ключ</p>", date(2030, 4, 1)),), index)
            for index, (item_id, codes) in enumerate(items)
        )
    )


def test_keys_read_back_as_written(db: Database, campaign: int) -> None:
    order = make_order(campaign_id=campaign)
    first = keys((1, ("K-1", "Ключ-2")), (2, ("K-3",)))
    with db.write() as conn:
        insert_order(conn, order)
        assert previous_keys(conn, order.id) is None
        store_keys(
            conn,
            order_id=order.id,
            submission=first,
            late_by=None,
            now=NOW,
            email_due_at=EMAIL_DUE,
            replacing=False,
        )
    stored = StoredKeys(
        order_id=order.id,
        submission=first,
        digest=first.digest(),
        first_accepted_at=NOW,
        accepted_at=NOW,
        accepted_calls=1,
        repeated_calls=0,
        late_by=None,
        email_due_at=EMAIL_DUE,
        emailed_at=None,
        email_failed=False,
    )
    with db.read() as conn:
        assert previous_keys(conn, order.id) == PreviousKeys(first.digest(), emailed=False)
        assert load_keys(conn, order.id) == stored

    replacement = keys((1, ("N-1", "N-2")), (2, ("N-3",)))
    later = NOW + timedelta(minutes=40)
    with db.write() as conn:
        store_keys(
            conn,
            order_id=order.id,
            submission=replacement,
            late_by=timedelta(minutes=10, microseconds=7),
            now=later,
            email_due_at=later + timedelta(hours=1),  # a replacement keeps the e-mail due
            replacing=True,
        )
        count_repeat(conn, order.id)
        mark_emailed(conn, order_id=order.id, now=EMAIL_DUE, failed=True)
    with db.read() as conn:
        assert previous_keys(conn, order.id) == PreviousKeys(replacement.digest(), emailed=True)
        assert load_keys(conn, order.id) == replace(
            stored,
            submission=replacement,
            digest=replacement.digest(),
            accepted_at=later,
            accepted_calls=2,
            repeated_calls=1,
            late_by=timedelta(minutes=10, microseconds=7),
            emailed_at=EMAIL_DUE,
            email_failed=True,
        )


def test_codes_of_the_listed_items_are_replaced(db: Database, campaign: int) -> None:
    items = tuple(
        OrderItem(item_id, f"sku-{item_id}", "Boots", 3, Decimal("10.00"), Vat.VAT_20)
        for item_id in (1, 2, 3)
    )
    order = make_order(campaign_id=campaign, items=items)
    cis = MarkingCode(InstanceType.CIS, "01030410947874432155Qbag!\x1d93Zjqw", "0103041094787443")
    uin = MarkingCode(InstanceType.UIN, "1234567890123456")
    gtd = MarkingCode(InstanceType.GTD, "10702070/010122/0000001", country_code="CN")
    with db.write() as conn:
        insert_order(conn, order)
        replace_codes(conn, order_id=order.id, codes={1: (cis, uin), 2: (uin,)}, now=NOW)
    with db.read() as conn:
        assert codes_of_orders(conn, [order.id]) == {order.id: {1: (cis, uin), 2: (uin,)}}
    with db.write() as conn:
        replace_codes(conn, order_id=order.id, codes={1: (gtd,), 3: ()}, now=NOW)
    with db.read() as conn:
        assert codes_of_orders(conn, [order.id]) == {order.id: {1: (gtd,), 2: (uin,)}}
    with db.write() as conn:
        replace_codes(conn, order_id=order.id, codes={2: (), 1: (uin, cis, gtd)}, now=NOW)
    with db.read() as conn:
        assert codes_of_orders(conn, [order.id]) == {order.id: {1: (uin, cis, gtd)}}


# Items whose ids do not follow their positions: reads go by position, as getOrder shows them.
COAT = OrderItem(
    333, "coat", "Coat", 1, Decimal("7000.00"), Vat.VAT_10, frozenset({InstanceType.UIN})
)
SHOES = OrderItem(
    111, "shoes", "Shoes", 2, Decimal("1500.50"), Vat.VAT_20, frozenset({InstanceType.CIS})
)
SOCKS = OrderItem(222, "socks", "Socks", 3, Decimal("99.99"), Vat.NO_VAT)
SHOE_CODES = (
    MarkingCode(
        InstanceType.CIS, "010464007801637221XYZ0001\x1d93Zjqw", "010464007801637221XYZ0001"
    ),
    MarkingCode(InstanceType.CIS, "010464007801637221ABC0002", "010464007801637221ABC0002"),
)
COAT_CODE = MarkingCode(InstanceType.GTD, "10702070/010122/0000001", country_code="CN")


def test_put_identifiers_reads_the_order_items_and_codes_it_decides_on(
    db: Database, campaign: int
) -> None:
    order = make_order(campaign_id=campaign, items=(COAT, SHOES, SOCKS))
    with db.write() as conn:
        insert_order(conn, order)
        replace_codes(
            conn, order_id=order.id, codes={SHOES.id: SHOE_CODES, COAT.id: (COAT_CODE,)}, now=NOW
        )
    with db.write() as conn:
        found = lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id)
    assert found is not None
    assert found.id == order.id and found.status is OrderStatus.PROCESSING
    assert [replace(item, stored_codes_text=None) for item in found.items] == [
        ItemForCodes(
            item.id,
            item.count,
            item.required_instance_types,
            item.vat,
            item.price,
            item.offer_name,
            item.offer_id,
        )
        for item in (COAT, SHOES, SOCKS)
    ]
    assert found.item(SHOES.id) == found.items[1]
    assert found.item(400_000_001) is None
    # The codes the items a call does not list keep (OQ-08), in the order's order.
    assert list(kept_codes(found, listed=set()).items()) == [
        (COAT.id, (COAT_CODE,)),
        (SHOES.id, SHOE_CODES),
    ]
    assert kept_codes(found, listed={COAT.id}) == {SHOES.id: SHOE_CODES}
    assert kept_codes(found, listed={SOCKS.id, SHOES.id, COAT.id}) == {}


def test_put_identifiers_reads_nothing_of_another_campaign_or_an_unknown_order(
    db: Database, campaign: int
) -> None:
    order = make_order(campaign_id=campaign, items=())
    with db.write() as conn:
        insert_order(conn, order)
        assert lock_order_for_codes(conn, campaign_id=campaign + 1, order_id=order.id) is None
        assert lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id + 1) is None
        assert lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id) == OrderForCodes(
            order.id, OrderStatus.PROCESSING, ()
        )
        locked = lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id)
        assert locked is not None and kept_codes(locked, listed={400_000_001}) == {}


def test_a_call_that_waited_for_the_order_reads_the_codes_stored_before_it(
    db: Database, campaign: int
) -> None:
    """PostgreSQL: a statement that waited for a row lock reads again only the rows it locks; the
    read locks the items' rows with the order's, so it sees the codes the call before it wrote."""
    order = make_order(campaign_id=campaign, items=(SHOES,))
    with db.write() as conn:
        insert_order(conn, order)
    locked = threading.Event()

    def first_call() -> None:
        with db.write() as conn:
            lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id)
            locked.set()
            time.sleep(0.3)  # the second call starts meanwhile and waits for the lock
            replace_codes(conn, order_id=order.id, codes={SHOES.id: SHOE_CODES}, now=NOW)

    thread = threading.Thread(target=first_call)
    thread.start()
    assert locked.wait(timeout=10)
    with db.write() as conn:
        second = lock_order_for_codes(conn, campaign_id=campaign, order_id=order.id)
    thread.join()
    assert second is not None and kept_codes(second, listed=set()) == {SHOES.id: SHOE_CODES}
