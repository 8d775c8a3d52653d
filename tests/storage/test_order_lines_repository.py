"""Delivered keys and marking codes round-trip through the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from dbskit.contract.digital_goods import DigitalGoodsSubmission, DigitalItemKeys, KeyBatch
from dbskit.contract.enums import InstanceType
from dbskit.market.domain.digital_goods import PreviousKeys
from dbskit.market.domain.marking import MarkingCode
from dbskit.storage.db import Database
from dbskit.storage.digital_keys import (
    StoredKeys,
    count_repeat,
    load_keys,
    mark_emailed,
    previous_keys,
    store_keys,
)
from dbskit.storage.marking_codes import codes_of_orders, replace_codes
from dbskit.storage.orders import insert_order
from tests.unit.factories import make_order

NOW = datetime(2030, 3, 2, 6, 0, 0, 123456, tzinfo=UTC)
EMAIL_DUE = NOW + timedelta(hours=1)


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
    order = make_order(campaign_id=campaign)
    cis = MarkingCode(InstanceType.CIS, "01030410947874432155Qbag!\x1d93Zjqw", "0103041094787443")
    uin = MarkingCode(InstanceType.UIN, "1234567890123456")
    gtd = MarkingCode(InstanceType.GTD, "10702070/010122/0000001", country_code="CN")
    with db.write() as conn:
        insert_order(conn, order)
        replace_codes(conn, order_id=order.id, codes={1: (cis, uin), 2: (uin,)})
    with db.read() as conn:
        assert codes_of_orders(conn, [order.id]) == {order.id: {1: (cis, uin), 2: (uin,)}}
    with db.write() as conn:
        replace_codes(conn, order_id=order.id, codes={1: (gtd,), 3: ()})
    with db.read() as conn:
        assert codes_of_orders(conn, [order.id]) == {order.id: {1: (gtd,), 2: (uin,)}}
    with db.write() as conn:
        replace_codes(conn, order_id=order.id, codes={2: (), 1: (uin, cis, gtd)})
    with db.read() as conn:
        assert codes_of_orders(conn, [order.id]) == {order.id: {1: (uin, cis, gtd)}}
