"""The storage hot path measured three ways, to choose how dbskit talks to its database.

``python -m benchmarks.storage_choice [--seconds 3] [--tasks 16] [--postgres-url URL]``

Each variant serves two operations from many asyncio tasks at once, as request handlers would:
- ``read``: one order row and its items by id, in one read transaction;
- ``rmw``: a read-modify-write transaction on one order row (read the status under the write
  lock, then update status and update time), the shape of every status change.

Variants:
- ``core-sync-thread``: SQLAlchemy Core on a sync engine, one transaction per call in a worker
  thread (``dbskit.database.db.Database.run_read/run_write``, what dbskit uses);
- ``orm-sync-thread``: the same transactions through an ORM Session with mapped classes;
- ``core-async``: SQLAlchemy Core on an async engine (aiosqlite / psycopg async), no threads.

SQLite gets a fresh file with dbskit's settings (WAL, busy timeout, BEGIN IMMEDIATE for writers);
PostgreSQL (``--postgres-url``, default ``DBSKIT_TEST_POSTGRES_URL``) a fresh database, dropped
afterwards. Results go to stdout and ``benchmarks/results/storage-<time>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import Mapped, Session, registry, relationship, selectinload

from benchmarks._paths import RESULTS_DIR, use_checkout_sources

use_checkout_sources()

from dbskit.database.db import SQLITE_BUSY_TIMEOUT_MS, Database  # noqa: E402
from dbskit.settings import normalise_database_url  # noqa: E402

ORDERS = 1_000
ITEMS_PER_ORDER = 3
STATUSES = ("PROCESSING", "DELIVERY", "PICKUP", "DELIVERED")

metadata = MetaData()
orders = Table(
    "bench_orders",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("campaign_id", BigInteger, nullable=False),
    Column("status", String(32), nullable=False),
    Column("substatus", String(64), nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)
items = Table(
    "bench_order_items",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("order_id", ForeignKey("bench_orders.id"), nullable=False, index=True),
    Column("offer_id", String(255), nullable=False),
    Column("count", Integer, nullable=False),
    Column("price_cents", BigInteger, nullable=False),
)


class Order:
    id: int
    status: str
    substatus: str
    updated_us: int
    items: Mapped[list[Item]]


class Item:
    id: int
    offer_id: str


_mapper = registry()
_mapper.map_imperatively(Item, items)
_mapper.map_imperatively(Order, orders, properties={"items": relationship(Item, lazy="raise")})


def _now_us() -> int:
    return time.time_ns() // 1000


# The operations, one function per (style, operation). Each returns something read, so no
# variant can skip work the others do.


def core_read(conn: Connection, order_id: int) -> int:
    order = conn.execute(select(orders).where(orders.c.id == order_id)).one()
    rows = conn.execute(select(items).where(items.c.order_id == order_id)).all()
    return len(order) + len(rows)


def _lock_order(dialect: str) -> Callable[[Any], Any]:
    # PostgreSQL serialises writers of one row with FOR UPDATE; SQLite's BEGIN IMMEDIATE has
    # already taken the database write lock.
    return (lambda query: query.with_for_update()) if dialect == "postgresql" else (lambda q: q)


def core_rmw(conn: Connection, order_id: int) -> int:
    lock = _lock_order(conn.dialect.name)
    status = conn.execute(lock(select(orders.c.status).where(orders.c.id == order_id))).scalar_one()
    following = STATUSES[(STATUSES.index(status) + 1) % len(STATUSES)]
    conn.execute(
        update(orders)
        .where(orders.c.id == order_id)
        .values(status=following, substatus="STARTED", updated_us=_now_us())
    )
    return 1


def orm_read(conn: Connection, order_id: int) -> int:
    with Session(bind=conn) as session:
        order = session.get(Order, order_id, options=[selectinload(Order.items)])
        assert order is not None
        return len(order.items)


def orm_rmw(conn: Connection, order_id: int) -> int:
    with Session(bind=conn, autoflush=False) as session:
        postgres = conn.dialect.name == "postgresql"
        order = session.get(Order, order_id, with_for_update=postgres)
        assert order is not None
        order.status = STATUSES[(STATUSES.index(order.status) + 1) % len(STATUSES)]
        order.substatus = "STARTED"
        order.updated_us = _now_us()
        session.flush()
        return 1


async def async_read(conn: AsyncConnection, order_id: int) -> int:
    order = (await conn.execute(select(orders).where(orders.c.id == order_id))).one()
    rows = (await conn.execute(select(items).where(items.c.order_id == order_id))).all()
    return len(order) + len(rows)


async def async_rmw(conn: AsyncConnection, order_id: int) -> int:
    lock = _lock_order(conn.dialect.name)
    query = lock(select(orders.c.status).where(orders.c.id == order_id))
    status = (await conn.execute(query)).scalar_one()
    following = STATUSES[(STATUSES.index(status) + 1) % len(STATUSES)]
    await conn.execute(
        update(orders)
        .where(orders.c.id == order_id)
        .values(status=following, substatus="STARTED", updated_us=_now_us())
    )
    return 1


# The variants: each gives an awaitable per operation.

Op = Callable[[int], Awaitable[int]]


@dataclass
class Variant:
    name: str
    read: Op
    rmw: Op
    close: Callable[[], Awaitable[None]]


def sync_variant(name: str, db: Database, read: Any, rmw: Any) -> Variant:
    async def do_read(order_id: int) -> int:
        return await db.run_read(lambda conn: read(conn, order_id))

    async def do_rmw(order_id: int) -> int:
        return await db.run_write(lambda conn: rmw(conn, order_id))

    async def close() -> None:
        db.dispose()

    return Variant(name, do_read, do_rmw, close)


def async_variant(url: str) -> Variant:
    engine = _async_engine(url)
    writing = {"dbskit_write": True}

    async def do_read(order_id: int) -> int:
        async with engine.connect() as conn, conn.begin():
            return await async_read(conn, order_id)

    async def do_rmw(order_id: int) -> int:
        async with engine.connect() as conn:
            conn = await conn.execution_options(**writing)
            async with conn.begin():
                return await async_rmw(conn, order_id)

    async def close() -> None:
        await engine.dispose()

    return Variant("core-async", do_read, do_rmw, close)


def _async_engine(url: str) -> AsyncEngine:
    """An async engine set up like dbskit.database.db.Database (same pool, same SQLite pragmas
    and BEGIN IMMEDIATE for writers)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url.replace("sqlite://", "sqlite+aiosqlite://", 1), pool_size=10, max_overflow=10
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Connection) -> None:
            writing = conn.get_execution_options().get("dbskit_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10)


# Running and measuring.


@dataclass
class Measured:
    ops: int
    seconds: float
    cpu_seconds: float  # of this process, all threads: hardly moved by other load
    latencies_ms: list[float]

    def to_json(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)
        return {
            "ops_per_s": round(self.ops / self.seconds, 1),
            "cpu_us_per_op": round(self.cpu_seconds / self.ops * 1e6, 1),
            "p50_ms": round(statistics.median(ordered), 3),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 3),
        }


async def measure(op: Op, *, tasks: int, seconds: float) -> Measured:
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    rng = random.Random(7)

    async def worker() -> None:
        while time.perf_counter() < stop_at:
            order_id = rng.randint(1, ORDERS)
            started = time.perf_counter()
            await op(order_id)
            latencies.append((time.perf_counter() - started) * 1000)

    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return Measured(len(latencies), elapsed, cpu, latencies)


def fill(db: Database) -> None:
    metadata.create_all(db.engine)
    with db.write() as conn:
        conn.execute(
            insert(orders),
            [
                dict(id=i, campaign_id=1, status="PROCESSING", substatus="STARTED", updated_us=0)
                for i in range(1, ORDERS + 1)
            ],
        )
        conn.execute(
            insert(items),
            [
                dict(order_id=i, offer_id=f"offer-{i}-{n}", count=1, price_cents=10_000)
                for i in range(1, ORDERS + 1)
                for n in range(ITEMS_PER_ORDER)
            ],
        )


async def measure_database(
    label: str, url: str, *, tasks: int, seconds: float
) -> dict[str, dict[str, Any]]:
    filling = Database(url)
    fill(filling)
    filling.dispose()
    variants = [
        sync_variant("core-sync-thread", Database(url), core_read, core_rmw),
        sync_variant("orm-sync-thread", Database(url), orm_read, orm_rmw),
    ]
    try:
        variants.append(async_variant(url))
    except ImportError as exc:  # the async driver is not installed
        print(f"  core-async skipped on {label}: {exc}")
    results: dict[str, dict[str, Any]] = {}
    for variant in variants:
        try:
            await measure(variant.read, tasks=tasks, seconds=0.5)  # warm pools and caches
            results[variant.name] = {
                "read": (await measure(variant.read, tasks=tasks, seconds=seconds)).to_json(),
                "rmw": (await measure(variant.rmw, tasks=tasks, seconds=seconds)).to_json(),
            }
        finally:
            await variant.close()
        print(f"  {label:10} {variant.name:17} {results[variant.name]}", flush=True)
    return results


@asynccontextmanager
async def sqlite_url() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="dbskit-storage-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tasks": args.tasks,
        "seconds": args.seconds,
        "orders": ORDERS,
        "items_per_order": ITEMS_PER_ORDER,
        "anyio_thread_limit": anyio.to_thread.current_default_thread_limiter().total_tokens,
    }
    async with sqlite_url() as url:
        results["sqlite"] = await measure_database(
            "sqlite", url, tasks=args.tasks, seconds=args.seconds
        )
    if args.postgres_url:
        from benchmarks.targets import fresh_postgres_database

        with fresh_postgres_database(args.postgres_url) as url:
            results["postgresql"] = await measure_database(
                "postgresql", normalise_database_url(url), tasks=args.tasks, seconds=args.seconds
            )
    else:
        print("PostgreSQL skipped: no --postgres-url and no DBSKIT_TEST_POSTGRES_URL")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.storage_choice")
    parser.add_argument("--seconds", type=float, default=3.0, help="per operation (3)")
    parser.add_argument("--tasks", type=int, default=16, help="concurrent asyncio tasks (16)")
    parser.add_argument("--postgres-url", default=os.environ.get("DBSKIT_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results = asyncio.run(run(args))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"storage-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
