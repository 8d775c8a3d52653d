"""The cabinet's storage reads: orders and query-log entries filtered and paged newest first, on
SQLite and PostgreSQL; each filter's page is what the same filter picks out of the rows in
Python, and the pages together are every row once."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dbskit.contract.enums import DeliveryType, InstanceType, OrderStatus, OrderSubstatus, Vat
from dbskit.database.db import Database
from dbskit.database.values import from_micros, to_micros
from dbskit.market.domain.order import Order, OrderItem
from dbskit.market.storage.access import campaign_access, insert_campaign
from dbskit.market.storage.cabinet_reads import (
    OrderFilter,
    QueryLogFilter,
    count_entries,
    log_entry,
    log_page,
    order_page,
    order_summary,
)
from dbskit.market.storage.orders import insert_order
from dbskit.market.storage.query_log import QueryLogEntry, insert_entries
from tests.unit.factories import CREATED, make_order

S, Sub = OrderStatus, OrderSubstatus
STATES = [
    (S.PROCESSING, Sub.STARTED),
    (S.PROCESSING, Sub.READY_TO_SHIP),
    (S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED),
    (S.PICKUP, Sub.PICKUP_SERVICE_RECEIVED),
    (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED),
    (S.CANCELLED, Sub.USER_CHANGED_MIND),
]


def _marked_item(item_id: int) -> OrderItem:
    return OrderItem(
        item_id, "sku-m", "Boots", 1, Decimal("10.00"), Vat.VAT_20, frozenset({InstanceType.CIS})
    )


def build_orders(campaigns: tuple[int, int]) -> list[Order]:
    """24 orders of two campaigns, an hour apart (two pairs at the same moment, which the id
    orders), in every state, some not test orders, digital, marked or with a buyer's request."""
    built = []
    for n in range(24):
        status, substatus = STATES[n % len(STATES)]
        created = CREATED + timedelta(hours=n - n % 2 * (n < 4))
        digital = n % 5 == 0
        order = make_order(
            id=53_000_000_000 + n,
            campaign_id=campaigns[n % 2],
            status=status,
            substatus=substatus,
            fake=n % 3 != 0,
            created_at=created,
            updated_at=created,
            delivery_type=DeliveryType.DIGITAL if digital else DeliveryType.DELIVERY,
            cancellation_requested_at=(
                created if status in (S.DELIVERY, S.PICKUP) and n % 4 < 2 else None
            ),
            cancellation_request_substatus=(
                Sub.USER_CHANGED_MIND if status in (S.DELIVERY, S.PICKUP) and n % 4 < 2 else None
            ),
        )
        if n % 4 == 3:
            order = replace(order, items=(_marked_item(400_000_100 + n),))
        built.append(order)
    return built


def passes(order: Order, f: OrderFilter) -> bool:
    awaiting = order.cancellation_requested_at is not None and order.status in (
        S.DELIVERY,
        S.PICKUP,
    )
    checks: list[tuple[Any, Any]] = [
        (f.campaign_id, order.campaign_id),
        (f.status, order.status),
        (f.substatus, order.substatus),
        (f.fake, order.fake),
        (f.digital, order.delivery_type is DeliveryType.DIGITAL),
        (f.marked, order.has_cis),
        (f.awaiting_cancellation_answer, awaiting),
    ]
    if any(wanted is not None and wanted != value for wanted, value in checks):
        return False
    if f.created_from is not None and order.created_at < f.created_from:
        return False
    return not (f.created_to is not None and order.created_at >= f.created_to)


@pytest.fixture
def stored(db: Database, campaign: int) -> list[Order]:
    with db.write() as conn:
        other = insert_campaign(
            conn,
            business_id=_business_of(db, campaign),
            name="Other",
            push_url=None,
            push_auth_token=None,
            push_auth_mode="HEADER",
            notification_url=None,
            now=CREATED,
        )
        built = build_orders((campaign, other))
        for order in built:
            insert_order(conn, order)
    return built


def _business_of(db: Database, campaign: int) -> int:
    with db.read() as conn:
        access = campaign_access(conn, campaign)
    assert access is not None
    return access.business_id


def newest_first(orders: list[Order]) -> list[int]:
    return [o.id for o in sorted(orders, key=lambda o: (o.created_at, o.id), reverse=True)]


FILTERS = [
    {},
    {"status": S.DELIVERY},
    {"status": S.PROCESSING, "substatus": Sub.READY_TO_SHIP},
    {"fake": False},
    {"digital": True},
    {"digital": False, "marked": True},
    {"awaiting_cancellation_answer": True},
    {"awaiting_cancellation_answer": False, "fake": True},
    {"created_from": CREATED + timedelta(hours=5), "created_to": CREATED + timedelta(hours=9)},
    {"status": S.UNPAID},  # none
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("one_campaign", [False, True])
def test_a_filtered_page_is_what_the_filter_picks_newest_first(
    db: Database, stored: list[Order], campaign: int, filters: dict[str, Any], one_campaign: bool
) -> None:
    order_filter = OrderFilter(campaign_id=campaign if one_campaign else None, **filters)
    with db.read() as conn:
        found = order_page(conn, order_filter, after=None, limit=100)
    expected = newest_first([o for o in stored if passes(o, order_filter)])
    assert [summary.id for summary in found] == expected
    if filters == {}:
        assert expected  # the filters are not all empty


def test_pages_of_orders_follow_each_other(db: Database, stored: list[Order]) -> None:
    seen: list[int] = []
    after: tuple[datetime, int] | None = None
    with db.read() as conn:
        while True:
            page = order_page(conn, OrderFilter(), after=after, limit=5)
            seen += [summary.id for summary in page]
            if len(page) < 5:
                break
            after = (page[-1].created_at, page[-1].id)
    assert seen == newest_first(stored)


def test_an_orders_summary(db: Database, stored: list[Order]) -> None:
    order = next(o for o in stored if o.has_cis and o.delivery_type is DeliveryType.DIGITAL)
    with db.read() as conn:
        summary = order_summary(conn, order.id)
        missing = order_summary(conn, 1)
    assert missing is None
    assert summary is not None
    assert (summary.id, summary.campaign_id, summary.status, summary.substatus) == (
        order.id,
        order.campaign_id,
        order.status,
        order.substatus,
    )
    assert (summary.digital, summary.marked, summary.fake, summary.created_at) == (
        True,
        True,
        order.fake,
        order.created_at,
    )


# --- the query log ------------------------------------------------------------------------------

OPERATIONS = ["getOrder", "updateOrderStatus", "getOrders"]


def log_entries() -> list[QueryLogEntry]:
    """30 entries a minute apart (three pairs at the same moment), on three orders or none."""
    entries: list[QueryLogEntry] = []
    for n, operation in zip(range(30), itertools.cycle(OPERATIONS), strict=False):
        at = CREATED + timedelta(minutes=n - n % 2 * (n < 6))
        order_id = None if operation == "getOrders" else 900 + n % 3
        entries.append(
            {
                "at": to_micros(at),
                "method": "GET",
                "path": f"/v2/campaigns/{21_000_001 + n % 2}/orders/{order_id or ''}",
                "query": "",
                "status": 500 if n % 7 == 0 else 200,
                "operation_id": operation,
                "campaign_id": 21_000_001 + n % 2,
                "business_id": 10_000_001,
                "request_headers": '{"api-key":"***"}',
                "request_body": "x" * 70_000 if n == 4 else "",
                "request_size": 70_000 if n == 4 else 0,
                "request_truncated": False,
                "response_headers": '{"content-type":"application/json"}',
                "response_body": '{"status":"OK"}',
                "response_size": 15,
                "response_truncated": False,
                "fault_rule_id": None,
                "fault": None,
                "order_id": order_id,
            }
        )
    return entries


LOG_FILTERS = [
    {},
    {"order_id": 901},
    {"campaign_id": 21_000_002},
    {"operation": "getOrder"},
    {"status": 500},
    {"status": 200},
    {"status": 200, "campaign_id": 21_000_001},
    {"status": 404},  # none
    {"order_id": 900, "status": 200, "operation": "updateOrderStatus"},
    {"since": CREATED + timedelta(minutes=10), "until": CREATED + timedelta(minutes=20)},
    {"campaign_id": 21_000_001, "operation": "getOrders", "since": CREATED},
    {"order_id": 7},  # none
]


def picks(entry: QueryLogEntry, f: QueryLogFilter) -> bool:
    checks: list[tuple[Any, Any]] = [
        (f.order_id, entry["order_id"]),
        (f.campaign_id, entry["campaign_id"]),
        (f.operation, entry["operation_id"]),
        (f.status, entry["status"]),
    ]
    if any(wanted is not None and wanted != value for wanted, value in checks):
        return False
    if f.since is not None and entry["at"] < to_micros(f.since):
        return False
    return not (f.until is not None and entry["at"] >= to_micros(f.until))


@pytest.mark.parametrize("filters", LOG_FILTERS)
def test_a_filtered_log_page_is_what_the_filter_picks_newest_first(
    db: Database, filters: dict[str, Any]
) -> None:
    entries = log_entries()
    with db.write() as conn:
        insert_entries(conn, entries)
    log_filter = QueryLogFilter(**filters)
    with db.read() as conn:
        found = log_page(conn, log_filter, after=None, limit=100)
        counted = count_entries(conn, log_filter)
    ids = {id(entry): n + 1 for n, entry in enumerate(entries)}  # ids follow the insert order
    expected = sorted(
        (entry for entry in entries if picks(entry, log_filter)),
        key=lambda entry: (entry["at"], ids[id(entry)]),
        reverse=True,
    )
    assert [(row.at, row.operation_id, row.order_id) for row in found] == [
        (from_micros(entry["at"]), entry["operation_id"], entry["order_id"]) for entry in expected
    ]
    assert counted == len(expected)


def test_pages_of_the_log_follow_each_other_and_an_entry_comes_whole(db: Database) -> None:
    with db.write() as conn:
        insert_entries(conn, log_entries())
    seen: list[int] = []
    after: tuple[datetime, int] | None = None
    with db.read() as conn:
        while True:
            page = log_page(conn, QueryLogFilter(), after=after, limit=4)
            seen += [row.id for row in page]
            if len(page) < 4:
                break
            after = (page[-1].at, page[-1].id)
        everything = log_page(conn, QueryLogFilter(), after=None, limit=100)
        big = next(row for row in everything if row.request_size == 70_000)
        whole = log_entry(conn, big.id)
        missing = log_entry(conn, 10_000)
    assert seen == [row.id for row in everything]
    assert len(seen) == len(set(seen)) == 30
    assert missing is None
    assert whole is not None
    assert whole.row == big
    assert whole.request_body == "x" * 70_000  # 68 KB, as stored: nothing cut on the way out
    assert whole.request_headers == {"api-key": "***"}
    assert whole.response_headers == {"content-type": "application/json"}
