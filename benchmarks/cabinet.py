"""The cabinet's reads over a large sandbox, and migration 0016 over a large query log (SQLite).

``python -m benchmarks.cabinet [--orders 100000] [--entries 1000000] [--calls 200] [--keep DIR]
[--detail] [--no-pages] [--skip-migration] [--messages 100000] [--no-outbox | --outbox-only]
[--deep-page N]``

1. **Migration.** A query log at revision 0015 holding ``--entries`` entries, and a database
   holding ``--orders`` orders, each brought to 0016 (timed, seconds): the column added in place
   and the new indexes built.
2. **Reads.** A fresh sandbox at head: ``--orders`` orders over ``CAMPAIGNS`` campaigns with
   their items, status histories, outbox messages (notifications with attempts, the keys'
   e-mails), tracks, warnings and keys (``HEAVY_ORDERS`` of them holding 5,000 keys and
   ``HOT_CALLS`` Partner API calls each), and ``--entries`` query-log entries, nine in ten on
   one order. Every row is written with bulk ``executemany`` inserts on the driver, not through
   the API. Then each of the cabinet's reads (``services.cabinet_queries``) is called
   ``--calls`` times round-robin over its variants (filters, next pages, orders light and
   heavy): p50, p99 and max of the server time (the call, its worker thread and its SQL).
   ``--deep-page N`` adds page N of the orders list, the query log and ``/sandbox/requests``'s
   read (a keyset page far from the newest row: it should cost what the first one does).
3. **Pages.** The same through the cabinet's pages (``GET /cabinet/orders``, ``/orders/{id}``,
   ``/requests``, signed in), each request through the served app in process (ASGI, no socket):
   the read, the page's rendering and the HTTP layers.
4. **Outbox.** A sandbox at 0016 holding an outbox of ``--messages`` messages (e-mails and
   notifications with their attempts, over ``CAMPAIGNS`` campaigns, a few to an order): a page of
   it (``services.outbox.read_outbox_page``: every campaign, one campaign, one order, later pages)
   timed without the page indexes, then migration 0017 (timed), then the page again and the
   cabinet's ``GET /cabinet/outbox``. ``--outbox-only`` runs this part alone.

Targets (issue 23): the orders list and an order's page under 100 ms at p99, the filtered
query-log page under 200 ms; the outbox page (ours) under 100 ms, as the orders list.
Everything runs in a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import html
import json
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks._paths import use_checkout_sources
from benchmarks.stored_orders import build_orders, settle

if TYPE_CHECKING:
    from dbskit.market.runtime import Runtime

CAMPAIGNS = 4
HEAVY_ORDERS = 20  # digital orders with 5,000 keys and HOT_CALLS calls each
HEAVY_KEYS = 5_000  # the most one order takes
HOT_CALLS = 2_000
ORDER_SHARE_OF_CALLS = 0.9  # entries that name an order (the rest: getOrders and the like)
ROWS_PER_STATEMENT = 20_000
TARGET_MS = {
    "orders list": 100.0,
    "order page": 100.0,
    "query-log page": 200.0,
    "orders list, page": 100.0,
    "order page, page": 100.0,
    "query-log page, page": 200.0,
    "outbox page at 0016": 100.0,
    "outbox page": 100.0,
    "outbox page, page": 100.0,
    "orders list, deep page": 100.0,
    "query-log page, deep page": 200.0,
    "requests, deep page": 200.0,
}
OUTBOX_DAYS = 30  # the messages' creation times spread over the last month
OUTBOX_ORDER_MESSAGES = (1, 2, 2, 3)  # an order's messages: its notifications and an e-mail
SANDBOX_TOKEN = "cabinet-benchmark-token"
_SEED = 23
_OPERATIONS = (
    ("getOrder", "GET", ""),
    ("updateOrderStatus", "PUT", "/status"),
    ("provideOrderDigitalCodes", "POST", "/deliverDigitalGoods"),
    ("setOrderDeliveryTrackCode", "POST", "/delivery/track"),
    ("provideOrderItemIdentifiers", "PUT", "/identifiers"),
    ("acceptOrderCancellation", "PUT", "/cancellation/accept"),
)
_STATUSES = (200,) * 90 + (400,) * 6 + (404,) * 2 + (420,) + (500,)
_BODY = json.dumps({"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}})
_ANSWER = json.dumps({"status": "OK", "result": {"id": 1, "status": "PROCESSING"}})
_HEADERS = json.dumps({"api-key": "***", "content-type": "application/json", "accept": "*/*"})


def _micros(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _insert(
    conn: sqlite3.Connection, table: str, rows: Iterator[tuple[Any, ...]] | list[Any]
) -> int:
    """Rows in statements of ``ROWS_PER_STATEMENT``; the count written."""
    written = 0
    batch: list[tuple[Any, ...]] = []
    statement = ""
    for row in rows:
        if not statement:
            statement = f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})"
        batch.append(row)
        if len(batch) == ROWS_PER_STATEMENT:
            conn.executemany(statement, batch)
            written += len(batch)
            batch.clear()
    if batch:
        conn.executemany(statement, batch)
        written += len(batch)
    return written


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def _named(conn: sqlite3.Connection, table: str, rows: Iterator[dict[str, Any]]) -> int:
    """Rows given by column name, in the table's column order (absent columns NULL)."""
    columns = _columns(conn, table)
    if not columns:  # a table the schema does not have yet (the history, at 0015)
        return 0
    return _insert(conn, table, (tuple(row.get(name) for name in columns) for row in rows))


def _migrate(url: str, revision: str) -> float:
    """Bring the database of ``url`` to ``revision``; seconds taken."""
    from alembic import command
    from alembic.config import Config

    from dbskit.database.db import Database
    from dbskit.market.storage import migrations

    db = Database(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))
        started = time.perf_counter()
        with db.write() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        return time.perf_counter() - started
    finally:
        db.dispose()


KEPT_SANDBOX = "sandbox.json"  # what a kept data dir holds (``--keep``)


@dataclass(frozen=True)
class Sandbox:
    campaign_ids: list[int]
    order_ids: list[int]  # newest first
    heavy_ids: list[int]
    now: datetime

    def __post_init__(self) -> None:
        if isinstance(self.now, str):  # read back from KEPT_SANDBOX
            object.__setattr__(self, "now", datetime.fromisoformat(self.now))


def _path_of(url: str) -> str:
    return url.removeprefix("sqlite:///")


def fill_sandbox(url: str, *, orders: int, now: datetime) -> Sandbox:
    """Campaigns, orders and everything an order's timeline reads, in the database of ``url``."""
    from dbskit.contract.enums import DeliveryType
    from dbskit.market.storage.orders import item_rows, order_row

    rng = random.Random(_SEED)
    built = build_orders(1, now=now, count=orders, seed=_SEED)
    conn = sqlite3.connect(_path_of(url))
    try:
        created = _micros(now - timedelta(days=90))
        conn.execute(
            "INSERT INTO businesses (id, name, created_at) VALUES (10000001, 'b', ?)", (created,)
        )
        campaign_ids = [21_000_001 + n for n in range(CAMPAIGNS)]
        for campaign_id in campaign_ids:
            conn.execute(
                "INSERT INTO campaigns (id, business_id, name, push_auth_mode, cart_enabled,"
                " active, created_at) VALUES (?, 10000001, 'c', 'HEADER', 1, 1, ?)",
                (campaign_id, created),
            )
        heavy = [o for o in built if o.delivery_type is DeliveryType.DIGITAL][:HEAVY_ORDERS]
        heavy_ids = {order.id for order in heavy}

        def order_rows() -> Iterator[dict[str, Any]]:
            for position, order in enumerate(built):
                row = {"id": order.id, **order_row(order)}
                row["campaign_id"] = campaign_ids[position % CAMPAIGNS]
                yield _stored(row)

        _named(conn, "orders", order_rows())
        _named(conn, "order_items", (_stored(row) for o in built for row in item_rows(o)))
        _named(conn, "order_status_history", _histories(built, rng))
        _named(conn, "order_tracks", _tracks(built, campaign_ids))
        _named(conn, "order_warnings", _warnings(built, rng))
        digital = [o for o in built if o.delivery_type is DeliveryType.DIGITAL]
        _named(conn, "digital_deliveries", _keys(digital, heavy_ids, now))
        _fill_outbox(conn, built, campaign_ids, rng)
        conn.commit()  # no ANALYZE: a sandbox gathers no statistics, and the reads need none
    finally:
        conn.close()
    return Sandbox(
        campaign_ids=campaign_ids,
        order_ids=[order.id for order in built],
        heavy_ids=[order.id for order in heavy],
        now=now,
    )


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    """Values as the driver stores them: times in microseconds, days and JSON as text."""
    stored: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, datetime):
            stored[name] = _micros(value)
        elif hasattr(value, "isoformat"):
            stored[name] = value.isoformat()
        elif isinstance(value, list | dict):
            stored[name] = json.dumps(value)
        else:
            stored[name] = value
    return stored


def _histories(built: Sequence[Any], rng: random.Random) -> Iterator[dict[str, Any]]:
    actors = ("SELLER", "SELLER", "MARKET", "BUYER", "SANDBOX")
    for order in built:
        at = _micros(order.created_at)
        yield {"order_id": order.id, "at": at, "actor": "SANDBOX", "to_status": "PROCESSING",
               "to_substatus": "STARTED"}  # fmt: skip
        changes = rng.randint(0, 3)
        for change in range(changes):
            last = change == changes - 1
            yield {
                "order_id": order.id,
                "at": at + (change + 1) * 60_000_000,
                "actor": rng.choice(actors),
                "from_status": "PROCESSING",
                "from_substatus": "STARTED",
                "to_status": order.status.value if last else "PROCESSING",
                "to_substatus": (order.substatus.value if order.substatus else None)
                if last
                else "READY_TO_SHIP",
            }


def _tracks(built: Sequence[Any], campaign_ids: list[int]) -> Iterator[dict[str, Any]]:
    for position, order in enumerate(built):
        if order.track is not None:
            yield {
                "order_id": order.id,
                "campaign_id": campaign_ids[position % CAMPAIGNS],
                "track_code": order.track.track_code,
                "track_hash": f"{order.id:064d}",
                "delivery_service_id": order.track.delivery_service_id,
                "set_at": _micros(order.updated_at),
            }


def _warnings(built: Sequence[Any], rng: random.Random) -> Iterator[dict[str, Any]]:
    for order in built:
        if rng.random() < 0.05:
            yield {
                "order_id": order.id,
                "at": _micros(order.updated_at),
                "operation_id": "provideOrderDigitalCodes",
                "code": "DEPRECATED_FIELD",
                "message": "Field items[].code is deprecated: send codes",
            }


def _keys(digital: Sequence[Any], heavy: set[int], now: datetime) -> Iterator[dict[str, Any]]:
    for order in digital:
        count = HEAVY_KEYS if order.id in heavy else 2
        items = [
            {
                "id": order.items[0].id,
                "batches": [
                    {
                        "codes": [f"KEY-{order.id}-{n:05d}" for n in range(count)],
                        "slip": "<p>Redeem at <b>example.com</b></p>",
                        "activate_till": (now + timedelta(days=365)).date().isoformat(),
                    }
                ],
            }
        ]
        at = _micros(order.created_at + timedelta(minutes=5))
        yield {
            "order_id": order.id,
            "digest": f"{order.id:064d}",
            "items": json.dumps(items),
            "first_accepted_at": at,
            "accepted_at": at,
            "accepted_calls": 1,
            "repeated_calls": 0,
            "email_due_at": at + 60_000_000,
            "emailed_at": at + 60_000_000,
            "email_failed": 0,
        }


def _fill_outbox(
    conn: sqlite3.Connection, built: Sequence[Any], campaign_ids: list[int], rng: random.Random
) -> None:
    from dbskit.contract.enums import DeliveryType

    message_id = 0
    messages: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    for position, order in enumerate(built):
        campaign_id = campaign_ids[position % CAMPAIGNS]
        at = _micros(order.created_at)
        kinds = ["ORDER_CREATED"] + ["ORDER_STATUS_UPDATED"] * rng.randint(0, 2)
        for kind in kinds:
            message_id += 1
            payload = {"notificationType": kind, "orderId": order.id, "campaignId": campaign_id}
            messages.append(
                {
                    "id": message_id,
                    "kind": "notification",
                    "campaign_id": campaign_id,
                    "order_id": order.id,
                    "payload": json.dumps(payload),
                    "notification_url": "http://127.0.0.1:9/n",
                    "state": "DELIVERED",
                    "created_at": at,
                }
            )
            tries = rng.choice((1, 1, 1, 2, 4))  # the last delivered, those before it failed
            for number in range(1, tries + 1):
                delivered = number == tries
                attempts.append(
                    {
                        "message_id": message_id,
                        "number": number,
                        "scheduled_at": at,
                        "attempted_at": at + number,
                        "url": "http://127.0.0.1:9/n",
                        "duration_ms": 12,
                        "result": "DELIVERED" if delivered else "FAILED",
                        "http_status": 200 if delivered else None,
                        "error_type": None if delivered else "CANT_GET_RESPONSE",
                        "error_subtype": None if delivered else "CONNECTION_REFUSED",
                    }
                )
        if order.delivery_type is DeliveryType.DIGITAL:
            message_id += 1
            email = {"to": "buyer", "subject": "Your keys", "html": "<p>KEY</p>", "text": "KEY"}
            messages.append(
                {
                    "id": message_id,
                    "kind": "email",
                    "campaign_id": campaign_id,
                    "order_id": order.id,
                    "payload": json.dumps(email),
                    "state": "SENT",
                    "created_at": at + 60_000_000,
                }
            )
    _named(conn, "outbox_messages", iter(messages))
    _named(conn, "outbox_attempts", iter(attempts))


def fill_query_log(
    url: str, *, entries: int, sandbox: Sandbox, with_order_column: bool = True
) -> None:
    """``entries`` entries over the last nine days, oldest first; nine in ten on one order (the
    heavy orders ``HOT_CALLS`` each), the rest getOrders."""
    rng = random.Random(_SEED + 1)
    conn = sqlite3.connect(_path_of(url))
    try:
        columns = _columns(conn, "query_log")
        start = _micros(sandbox.now - timedelta(days=9))
        step = (_micros(sandbox.now) - start) // entries
        hot = [order_id for order_id in sandbox.heavy_ids for _ in range(HOT_CALLS)]
        rng.shuffle(hot)
        campaign_of = {
            order_id: sandbox.campaign_ids[position % CAMPAIGNS]
            for position, order_id in enumerate(sandbox.order_ids)
        }

        def rows() -> Iterator[tuple[Any, ...]]:
            for n in range(entries):
                names_order = rng.random() < ORDER_SHARE_OF_CALLS
                status = rng.choice(_STATUSES)
                if names_order:
                    order_id = hot.pop() if hot and n % 10 == 0 else rng.choice(sandbox.order_ids)
                    campaign_id = campaign_of[order_id]
                    operation, method, suffix = rng.choice(_OPERATIONS)
                    path = f"/v2/campaigns/{campaign_id}/orders/{order_id}{suffix}"
                else:
                    order_id = None
                    campaign_id = rng.choice(sandbox.campaign_ids)
                    operation, method, path = (
                        "getOrders",
                        "GET",
                        f"/v2/campaigns/{campaign_id}/orders",
                    )
                row = {
                    "id": n + 1,
                    "at": start + n * step,
                    "method": method,
                    "path": path,
                    "query": "",
                    "status": status,
                    "operation_id": operation,
                    "campaign_id": campaign_id,
                    "business_id": 10_000_001,
                    "request_headers": _HEADERS,
                    "request_body": _BODY if method != "GET" else "",
                    "request_size": len(_BODY) if method != "GET" else 0,
                    "request_truncated": 0,
                    "response_headers": _HEADERS,
                    "response_body": _ANSWER,
                    "response_size": len(_ANSWER),
                    "response_truncated": 0,
                    "fault_rule_id": None,
                    "fault": "ANSWER_500" if status == 500 else None,
                    "order_id": order_id if with_order_column else None,
                }
                yield tuple(row.get(name) for name in columns)

        _insert(conn, "query_log", rows())
        conn.commit()
    finally:
        conn.close()


# --- measuring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    name: str
    samples: list[float]  # milliseconds
    variants: list[str]  # each sample's variant: samples[n] is variants[n % len(variants)]

    def slowest(self, count: int = 4) -> list[tuple[str, float]]:
        worst: dict[str, float] = {}
        for n, sample in enumerate(self.samples):
            label = self.variants[n % len(self.variants)]
            worst[label] = max(worst.get(label, 0.0), sample)
        return sorted(worst.items(), key=lambda item: -item[1])[:count]

    def line(self) -> str:
        ordered = sorted(self.samples)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        target = TARGET_MS[self.name]
        verdict = "ok" if p99 < target else "OVER"
        return (
            f"{self.name:20} n={len(ordered):4}  p50 {statistics.median(ordered):7.2f} ms"
            f"  p99 {p99:7.2f} ms  max {ordered[-1]:7.2f} ms"
            f"  (target p99 < {target:.0f} ms: {verdict})"
        )


Variant = Callable[[], Awaitable[object]]


async def _timed(name: str, calls: int, variants: list[Variant]) -> Figure:
    for variant in variants:  # each once unmeasured: the pages the OS caches, as a server's would
        await variant()
    samples = []
    for n in range(calls):
        started = time.perf_counter()
        await variants[n % len(variants)]()
        samples.append((time.perf_counter() - started) * 1000)
    return Figure(name, samples, [_label(variant) for variant in variants])


def _label(variant: Variant) -> str:
    if isinstance(variant, partial):
        shown = [repr(arg) for arg in variant.args[1:] or variant.args]
        shown += [f"{k}=..." for k in variant.keywords]
        return f"{variant.func.__name__}({', '.join(shown)})"
    return repr(variant)


async def measure(runtime: Runtime, sandbox: Sandbox, *, calls: int) -> list[Figure]:
    from dbskit.contract.enums import OrderStatus, OrderSubstatus
    from dbskit.market.services import cabinet_queries as cq

    campaign = sandbox.campaign_ids[0]
    now = sandbox.now
    order_filters = [
        cq.OrderFilter(),
        cq.OrderFilter(campaign_id=campaign),
        cq.OrderFilter(status=OrderStatus.PROCESSING),
        cq.OrderFilter(status=OrderStatus.DELIVERY, substatus=OrderSubstatus.USER_RECEIVED),
        cq.OrderFilter(campaign_id=campaign, status=OrderStatus.CANCELLED),
        cq.OrderFilter(fake=True),
        cq.OrderFilter(digital=True),
        cq.OrderFilter(campaign_id=campaign, marked=True),
        cq.OrderFilter(awaiting_cancellation_answer=True),
        cq.OrderFilter(campaign_id=campaign, awaiting_cancellation_answer=True, fake=False),
        cq.OrderFilter(created_from=now - timedelta(days=20), created_to=now - timedelta(days=19)),
        cq.OrderFilter(
            campaign_id=campaign,
            status=OrderStatus.PICKUP,
            digital=False,
            created_from=now - timedelta(days=45),
        ),
        # None at all: the whole index is walked.
        cq.OrderFilter(status=OrderStatus.UNPAID),
        cq.OrderFilter(substatus=OrderSubstatus.SHOP_FAILED, digital=True, marked=True),
    ]
    cursors = []
    page = await cq.list_orders(runtime, cq.OrderFilter(status=OrderStatus.DELIVERED))
    for _ in range(3):  # later pages
        if page.next_cursor is None:
            break
        cursors.append(page.next_cursor)
        page = await cq.list_orders(
            runtime, cq.OrderFilter(status=OrderStatus.DELIVERED), cursor=page.next_cursor
        )
    delivered = cq.OrderFilter(status=OrderStatus.DELIVERED)
    lists: list[Variant] = [partial(cq.list_orders, runtime, f) for f in order_filters]
    lists.extend(partial(cq.list_orders, runtime, delivered, cursor=c) for c in cursors)
    rng = random.Random(_SEED + 2)
    light = rng.sample(sandbox.order_ids, 40)
    orders: list[Variant] = [
        partial(cq.order_timeline, runtime, o) for o in light + sandbox.heavy_ids[:10]
    ]
    orders.extend(partial(cq.order_keys_page, runtime, o) for o in sandbox.heavy_ids[:10])
    hot = sandbox.heavy_ids[0]
    log_filters = [
        cq.QueryLogFilter(operation="updateOrderStatus"),
        cq.QueryLogFilter(status=500),
        cq.QueryLogFilter(status=200),
        cq.QueryLogFilter(status=404, operation="getOrder"),
        cq.QueryLogFilter(campaign_id=campaign),
        cq.QueryLogFilter(campaign_id=campaign, status=400),
        cq.QueryLogFilter(order_id=hot),
        cq.QueryLogFilter(order_id=light[0]),
        cq.QueryLogFilter(order_id=hot, operation="getOrder"),
        cq.QueryLogFilter(since=now - timedelta(days=3), until=now - timedelta(days=2)),
        cq.QueryLogFilter(operation="acceptOrderCancellation", until=now - timedelta(days=5)),
        cq.QueryLogFilter(operation="getOrders", status=500, campaign_id=campaign),
        # None at all: the walk meets every entry of the index it chose.
        cq.QueryLogFilter(campaign_id=campaign, status=503),
        cq.QueryLogFilter(operation="getOrder", campaign_id=99_999_999),
        cq.QueryLogFilter(operation="acceptOrderCancellation", status=201),
    ]
    log_cursors = []
    log_page = await cq.query_log_page(runtime, cq.QueryLogFilter(status=500))
    for _ in range(3):
        if log_page.next_cursor is None:
            break
        log_cursors.append(log_page.next_cursor)
        log_page = await cq.query_log_page(
            runtime, cq.QueryLogFilter(status=500), cursor=log_page.next_cursor
        )
    errors = cq.QueryLogFilter(status=500)
    logs: list[Variant] = [partial(cq.query_log_page, runtime, f) for f in log_filters]
    logs.extend(partial(cq.query_log_page, runtime, errors, cursor=c) for c in log_cursors)
    return [
        await _timed("orders list", calls, lists),
        await _timed("order page", calls, orders),
        await _timed("query-log page", calls, logs),
    ]


async def measure_deep_pages(
    runtime: Runtime, sandbox: Sandbox, *, page: int, calls: int
) -> list[Figure]:
    """Page ``page`` of the orders list, of the cabinet's query log and of
    ``GET /sandbox/requests`` (``reader.read_requests``), a few filters each: the cursor is found
    by paging there once, then the page after it is timed. A filter with fewer pages is timed at
    its last one."""
    from dbskit.contract.enums import OrderStatus
    from dbskit.market.domain.query_log import PagePosition
    from dbskit.market.query_log.reader import read_requests
    from dbskit.market.services import cabinet_queries as cq

    campaign = sandbox.campaign_ids[0]
    lists: list[Variant] = []
    for order_filter in (
        cq.OrderFilter(),
        cq.OrderFilter(campaign_id=campaign),
        cq.OrderFilter(status=OrderStatus.DELIVERED),
    ):
        cursor = None
        for _ in range(page - 1):
            listed = await cq.list_orders(runtime, order_filter, cursor=cursor)
            if listed.next_cursor is None:
                break
            cursor = listed.next_cursor
        lists.append(partial(cq.list_orders, runtime, order_filter, cursor=cursor))
    logs: list[Variant] = []
    for log_filter in (
        cq.QueryLogFilter(),
        cq.QueryLogFilter(campaign_id=campaign),
        cq.QueryLogFilter(operation="getOrders"),
    ):
        cursor = None
        for _ in range(page - 1):
            logged = await cq.query_log_page(runtime, log_filter, cursor=cursor)
            if logged.next_cursor is None:
                break
            cursor = logged.next_cursor
        logs.append(partial(cq.query_log_page, runtime, log_filter, cursor=cursor))
    since = sandbox.now - timedelta(days=10)  # what the log keeps
    requests: list[Variant] = []
    for campaign_id in (None, campaign):
        token = None
        for _ in range(page - 1):
            listed_requests = await read_requests(
                runtime.log_db,
                since=since,
                limit=cq.QUERY_LOG_PAGE,
                campaign_id=campaign_id,
                after=None if token is None else PagePosition.from_token(token),
            )
            if listed_requests.paging.next_page_token is None:
                break
            token = listed_requests.paging.next_page_token
        requests.append(
            partial(
                read_requests,
                runtime.log_db,
                since=since,
                limit=cq.QUERY_LOG_PAGE,
                campaign_id=campaign_id,
                after=None if token is None else PagePosition.from_token(token),
            )
        )
    return [
        await _timed("orders list, deep page", calls, lists),
        await _timed("query-log page, deep page", calls, logs),
        await _timed("requests, deep page", calls, requests),
    ]


async def measure_pages(data_dir: Path, url: str, sandbox: Sandbox, *, calls: int) -> list[Figure]:
    """The cabinet's pages themselves (``/cabinet/...``, GET, signed in), each request through the
    served app in process: the read, the page's rendering and the HTTP layers, no socket."""
    import httpx

    from dbskit.app import create_app
    from dbskit.market.sandbox.browser_sessions import COOKIE, open_session
    from dbskit.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=url, sandbox_token=SANDBOX_TOKEN)
    app = create_app(settings)
    _, cookie = open_session(SANDBOX_TOKEN, now=int(time.time()))
    campaign = sandbox.campaign_ids[0]
    rng = random.Random(_SEED + 2)
    light = rng.sample(sandbox.order_ids, 40)
    hot = sandbox.heavy_ids[0]
    lists = [
        "",
        f"campaign={campaign}",
        "status=PROCESSING",
        "status=DELIVERY&substatus=USER_RECEIVED",
        f"campaign={campaign}&status=CANCELLED",
        "fake=yes",
        "digital=yes",
        f"campaign={campaign}&marked=yes",
        "awaiting=yes",
        "status=UNPAID",
    ]
    logs = [
        "operation=updateOrderStatus",
        "status=500",
        "status=404&operation=getOrder",
        f"campaign={campaign}",
        f"order={hot}",
        f"order={light[0]}",
        f"campaign={campaign}&status=503",
        "operation=getOrder&campaign=99999999",
    ]
    pages = {
        "orders list, page": [f"/cabinet/orders?{query}" for query in lists],
        "order page, page": [f"/cabinet/orders/{o}" for o in light + sandbox.heavy_ids[:10]],
        "query-log page, page": [f"/cabinet/requests?{query}" for query in logs],
    }
    figures = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://cabinet", cookies={COOKIE: cookie}
        ) as client:

            async def get(path: str) -> None:
                response = await client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")

            for name, paths in pages.items():
                figure = await _timed(name, calls, [partial(get, path) for path in paths])
                figures.append(figure)
    return figures


# --- the outbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outbox:
    campaign_ids: list[int]
    order_ids: list[int]  # newest first
    middle: tuple[datetime, int]  # the creation time and id of the message halfway in


def fill_outbox(url: str, *, messages: int, now: datetime) -> Outbox:
    """``messages`` messages over the last ``OUTBOX_DAYS`` days, oldest first: each order's
    notifications (with one to four attempts, the last delivered) and one in three an e-mail with
    its keys, the campaigns taking the orders in turn."""
    rng = random.Random(_SEED + 3)
    start = _micros(now - timedelta(days=OUTBOX_DAYS))
    step = (_micros(now) - start) // messages
    campaign_ids = [21_000_001 + n for n in range(CAMPAIGNS)]
    order_ids: list[int] = []
    rows: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    while len(rows) < messages:
        order_id = 70_000_000_001 + len(order_ids)
        campaign_id = campaign_ids[len(order_ids) % CAMPAIGNS]
        order_ids.append(order_id)
        for number in range(rng.choice(OUTBOX_ORDER_MESSAGES)):
            message_id = len(rows) + 1
            at = start + len(rows) * step
            if number == 2:
                rows.append(_email_row(message_id, campaign_id, order_id, at))
                continue
            kind = "ORDER_CREATED" if number == 0 else "ORDER_STATUS_UPDATED"
            payload = {"notificationType": kind, "orderId": order_id, "campaignId": campaign_id}
            rows.append(
                {
                    "id": message_id,
                    "kind": "notification",
                    "campaign_id": campaign_id,
                    "order_id": order_id,
                    "payload": json.dumps(payload),
                    "notification_url": "http://127.0.0.1:9/n",
                    "state": "DELIVERED",
                    "created_at": at,
                }
            )
            tries = rng.choice((1, 1, 1, 2, 4))
            attempts.extend(_attempt_row(message_id, n, tries, at) for n in range(1, tries + 1))
    del rows[messages:]
    attempts = [a for a in attempts if a["message_id"] <= messages]
    conn = sqlite3.connect(_path_of(url))
    try:
        _named(conn, "outbox_messages", iter(rows))
        _named(conn, "outbox_attempts", iter(attempts))
        conn.commit()
    finally:
        conn.close()
    middle = rows[len(rows) // 2]
    middle_at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=middle["created_at"])
    return Outbox(campaign_ids, order_ids[::-1], middle=(middle_at, middle["id"]))


def _email_row(message_id: int, campaign_id: int, order_id: int, at: int) -> dict[str, Any]:
    keys = "".join(f"<li><code>KEY-{order_id}-{n}</code></li>" for n in range(3))
    email = {
        "to": "buyer@example.com",
        "subject": f"Your keys for order {order_id}",
        "html": f"<p>Thank you for your order.</p><ul>{keys}</ul><p>Redeem at example.com</p>",
        "text": f"Your keys for order {order_id}: KEY-{order_id}-0, -1, -2",
    }
    return {
        "id": message_id,
        "kind": "email",
        "campaign_id": campaign_id,
        "order_id": order_id,
        "payload": json.dumps(email),
        "state": "SENT",
        "created_at": at,
    }


def _attempt_row(message_id: int, number: int, tries: int, at: int) -> dict[str, Any]:
    delivered = number == tries
    return {
        "message_id": message_id,
        "number": number,
        "scheduled_at": at,
        "attempted_at": at + number,
        "url": "http://127.0.0.1:9/n",
        "duration_ms": 12,
        "result": "DELIVERED" if delivered else "FAILED",
        "http_status": 200 if delivered else None,
        "error_type": None if delivered else "CANT_GET_RESPONSE",
        "error_subtype": None if delivered else "CONNECTION_REFUSED",
    }


async def measure_outbox(url: str, outbox: Outbox, *, calls: int, name: str) -> Figure:
    """A page of the outbox (50 messages with their attempts) as the cabinet reads it: every
    campaign, one campaign, one order (new and old), both, and later pages (the next three, and
    one halfway down the outbox)."""
    from dbskit.database.db import Database
    from dbskit.database.values import to_micros
    from dbskit.market.domain.query_log import PagePosition
    from dbskit.market.services.outbox import read_outbox_page

    db = Database(url)
    try:
        campaign = outbox.campaign_ids[0]
        newest, oldest = outbox.order_ids[0], outbox.order_ids[-1]
        filters: list[dict[str, Any]] = [
            {},
            {"campaign_id": campaign},
            {"campaign_id": outbox.campaign_ids[-1]},
            {"order_id": newest},
            {"order_id": oldest},
            {"campaign_id": campaign, "order_id": oldest},
            {"campaign_id": 99_999_999},  # none at all
        ]
        cursors = []
        page = await read_outbox_page(db)
        for _ in range(3):
            if page.next_cursor is None:
                break
            cursors.append(page.next_cursor)
            page = await read_outbox_page(db, cursor=page.next_cursor)
        at, message_id = outbox.middle
        halfway = PagePosition(to_micros(at), message_id).token()
        variants: list[Variant] = [partial(read_outbox_page, db, **f) for f in filters]
        variants.extend(partial(read_outbox_page, db, cursor=c) for c in cursors)
        variants.append(partial(read_outbox_page, db, cursor=halfway))
        variants.append(partial(read_outbox_page, db, campaign_id=campaign, cursor=halfway))
        return await _timed(name, calls, variants)
    finally:
        db.dispose()


async def measure_outbox_pages(data_dir: Path, url: str, outbox: Outbox, *, calls: int) -> Figure:
    """``GET /cabinet/outbox`` (signed in) through the served app in process, as above."""
    import httpx

    from dbskit.app import create_app
    from dbskit.market.sandbox.browser_sessions import COOKIE, open_session
    from dbskit.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=url, sandbox_token=SANDBOX_TOKEN)
    app = create_app(settings)
    _, cookie = open_session(SANDBOX_TOKEN, now=int(time.time()))
    campaign = outbox.campaign_ids[0]
    newest, oldest = outbox.order_ids[0], outbox.order_ids[-1]
    queries = ["", f"campaign={campaign}", f"order={newest}", f"order={oldest}"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://cabinet", cookies={COOKIE: cookie}
        ) as client:

            async def get(path: str) -> None:
                response = await client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")

            first = await client.get(f"/cabinet/outbox?campaign={campaign}")
            older = re.search(r'href="([^"]+)" rel="next"', first.text)
            paths = [f"/cabinet/outbox?{query}" for query in queries]
            if older is not None:
                paths.append(html.unescape(older.group(1)))
            with _served_collector():
                return await _timed("outbox page, page", calls, [partial(get, p) for p in paths])


@contextlib.contextmanager
def _served_collector() -> Iterator[None]:
    """The garbage collector as ``dbskit serve`` sets it once started (``dbskit.collector``),
    put back afterwards. Left as it is in a benchmark's process, a full collection came about
    every hundred outbox pages and took 110-150 ms of that call; a server spaces them out."""
    from dbskit.collector import settle_after_start

    thresholds = gc.get_threshold()
    settle_after_start()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def run_outbox(directory: Path, *, messages: int, calls: int, now: datetime) -> list[Figure]:
    """Part 4: the outbox page before and after 0017, the migration's time between them."""
    from dbskit.settings import query_log_url

    data_dir = directory / "outbox"
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'dbskit.sqlite3'}"
    started = time.perf_counter()
    _migrate(url, "0016")
    _migrate(query_log_url(url), "head")
    outbox = fill_outbox(url, messages=messages, now=now)
    settle(url)
    print(
        f"outbox of {messages:,} messages filled at 0016 in {time.perf_counter() - started:.1f} s"
    )
    before = asyncio.run(measure_outbox(url, outbox, calls=calls, name="outbox page at 0016"))
    seconds = _migrate(url, "0017")
    settle(url)
    print(f"migration 0016 -> 0017: the outbox, {messages:,} messages: {seconds:.2f} s")
    after = asyncio.run(measure_outbox(url, outbox, calls=calls, name="outbox page"))
    page = asyncio.run(measure_outbox_pages(data_dir, url, outbox, calls=calls))
    return [before, after, page]


def _runtime(data_dir: Path, url: str) -> Runtime:
    from dbskit.clock import Clock
    from dbskit.market.runtime import Runtime
    from dbskit.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=url)
    return Runtime.build(settings, clock=Clock())  # the data was made around real time


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cabinet", description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200, help="calls of each read")
    parser.add_argument("--skip-migration", action="store_true")
    parser.add_argument(
        "--keep", type=Path, help="fill this data dir and keep it; a later run reuses it"
    )
    parser.add_argument("--detail", action="store_true", help="the slowest variants of each")
    parser.add_argument(
        "--no-pages", action="store_true", help="the reads only, not the cabinet's pages"
    )
    parser.add_argument("--messages", type=int, default=100_000, help="the outbox's messages")
    parser.add_argument(
        "--deep-page",
        type=int,
        default=0,
        metavar="N",
        help="also time page N of the orders list, the query log and /sandbox/requests",
    )
    outbox_part = parser.add_mutually_exclusive_group()
    outbox_part.add_argument("--no-outbox", action="store_true", help="parts 1 to 3 only")
    outbox_part.add_argument("--outbox-only", action="store_true", help="part 4 only")
    args = parser.parse_args(argv)
    use_checkout_sources()
    from dbskit.settings import query_log_url

    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="dbskit-cabinet-") as tmp:
        if args.outbox_only:
            _report(run_outbox(Path(tmp), messages=args.messages, calls=args.calls, now=now), args)
            return
        if not args.skip_migration:
            old = f"sqlite:///{Path(tmp) / 'old.sqlite3'}"
            old_log = query_log_url(old)
            started = time.perf_counter()
            _migrate(old, "0015")
            _migrate(old_log, "0015")
            sandbox = fill_sandbox(old, orders=args.orders, now=now)
            fill_query_log(old_log, entries=args.entries, sandbox=sandbox, with_order_column=False)
            settle(old)
            settle(old_log)
            print(f"filled at 0015 in {time.perf_counter() - started:.1f} s")
            log_seconds = _migrate(old_log, "0016")
            orders_seconds = _migrate(old, "0016")
            print(
                f"migration 0015 -> 0016: the query log's file, {args.entries:,} entries: "
                f"{log_seconds:.2f} s; the orders' file, {args.orders:,} orders: "
                f"{orders_seconds:.2f} s"
            )
            for done in (old, old_log):
                Path(_path_of(done)).unlink()
        data_dir = args.keep or Path(tmp) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'dbskit.sqlite3'}"
        log_url = query_log_url(url)
        kept = data_dir / KEPT_SANDBOX
        if kept.exists():
            sandbox = Sandbox(**json.loads(kept.read_text()))
            print(f"the sandbox kept in {data_dir}")
        else:
            started = time.perf_counter()
            _migrate(url, "head")
            _migrate(log_url, "head")
            sandbox = fill_sandbox(url, orders=args.orders, now=now)
            fill_query_log(log_url, entries=args.entries, sandbox=sandbox)
            settle(url)
            settle(log_url)
            print(f"filled at head in {time.perf_counter() - started:.1f} s")
            if args.keep:
                kept.write_text(json.dumps(dataclasses.asdict(sandbox), default=str))
        runtime = _runtime(data_dir, url)
        try:
            figures = asyncio.run(measure(runtime, sandbox, calls=args.calls))
            if args.deep_page > 1:
                figures += asyncio.run(
                    measure_deep_pages(runtime, sandbox, page=args.deep_page, calls=args.calls)
                )
        finally:
            runtime.db.dispose()
            runtime.log_db.dispose()
        if not args.no_pages:
            figures += asyncio.run(measure_pages(data_dir, url, sandbox, calls=args.calls))
        if not args.no_outbox:
            figures += run_outbox(Path(tmp), messages=args.messages, calls=args.calls, now=now)
        _report(figures, args)


def _report(figures: Sequence[Figure], args: argparse.Namespace) -> None:
    for figure in figures:
        print(figure.line())
        if args.detail:
            for label, slowest in figure.slowest():
                print(f"    {slowest:7.2f} ms  {label}")


if __name__ == "__main__":
    main()
