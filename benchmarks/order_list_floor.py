"""What a page of getOrders over 100,000 orders costs below dbskit: the floor of the list figures.

``python -m benchmarks.order_list_floor [--rounds 5]``

The 100,000 orders of the list workloads (``stored_orders``) go into a fresh SQLite database;
every filter set of ``get-orders-100k`` is asked for its first ``PAGES`` pages, in process, each
page in its own read transaction as a call reads it. For each page it measures, as CPU time:

- ``driver floor``: the statements dbskit ran for the page with no document kept (as SQLite's
  trace gives them, with their values), run again on a bare ``sqlite3`` connection, and their
  rows written as JSON as they come: what any server pays to read this page from SQLite before it
  converts a value;
- ``listing``: which orders the page holds (``storage.order_lists.find_orders``) alone;
- ``page, none kept``: the page as getOrders makes it with no document kept (after a commit):
  ``services.orders.token_page`` reads its orders and renders each, then ``page_body`` joins them;
- ``page, all kept``: the same page with every order's document kept (``order_documents``): the
  listing, the shelf and the join.

The HTTP side of a call (the gateway, the limits, the query log, uvicorn) is not in these
figures; ``python -m benchmarks --workload get-orders-100k`` measures the whole call against the
bare route.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic_core import to_json

from benchmarks.order_list_setups import PAGE_SIZE, PAGES, OrdersSeller, get_orders_filters
from benchmarks.stored_orders import write_orders
from dbskit.contract.operations import Profile
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.orders_query import OrdersQuery, TokenPaging, orders_query, params_from
from dbskit.market.services.order_documents import Shelf
from dbskit.market.services.order_view import order_json, page_body
from dbskit.market.services.orders import OrdersPage, token_page
from dbskit.market.storage import access, migrations
from dbskit.market.storage.order_lists import find_orders


@dataclass(frozen=True)
class PageCost:
    """CPU milliseconds of one page."""

    floor: float
    listing: float
    cold: float
    kept: float


def _seller(db: Database, url: str) -> OrdersSeller:
    now = datetime.now(UTC)
    with db.write() as conn:
        business_id = access.insert_business(conn, name="Floor", now=now)
        campaign_id = access.insert_campaign(
            conn,
            business_id=business_id,
            name="Floor",
            push_url=None,
            push_auth_token=None,
            push_auth_mode="HEADER",
            notification_url=None,
            now=now,
        )
    return OrdersSeller("", business_id, write_orders(url, campaign_id, now=now), now)


def _queries(seller: OrdersSeller, db: Database) -> Iterator[OrdersQuery]:
    """Each filter set's first pages, through the token each page gives."""
    for filters in get_orders_filters(seller):
        pairs = [*filters.items(), ("limit", str(PAGE_SIZE))]
        for _ in range(PAGES):
            query = orders_query(params_from(pairs), now=seller.now, profile=Profile.SEED)
            yield query
            with db.read() as conn:
                page = _page(conn, seller, query)
            token = page.paging.next_page_token if page.paging else None
            if token is None:
                break
            pairs = [*filters.items(), ("limit", str(PAGE_SIZE)), ("page_token", token)]


def _token_paging(query: OrdersQuery) -> TokenPaging:
    if not isinstance(query.paging, TokenPaging):
        raise TypeError("the floor measures token pages (limit and page_token)")
    return query.paging


def _page(
    conn: Transaction, seller: OrdersSeller, query: OrdersQuery, shelf: Shelf | None = None
) -> OrdersPage:
    return token_page(
        conn,
        (seller.stored.campaign_id,),
        query,
        _token_paging(query),
        render=order_json,
        shelf=Shelf() if shelf is None else shelf,
    )


def _body(page: OrdersPage) -> bytes:
    return page_body(page.documents, pager=page.pager, paging=page.paging)


def _cpu_ms(started: float) -> float:
    return (time.process_time() - started) * 1000


def measure(db: Database, seller: OrdersSeller, path: str, rounds: int) -> list[PageCost]:
    queries = list(_queries(seller, db))
    bare = sqlite3.connect(path, isolation_level=None)
    shelf = Shelf()
    costs: list[PageCost] = []
    try:
        for _ in range(rounds):
            for query in queries:
                statements: list[str] = []
                with db.read() as conn:
                    driver = conn.connection.dbapi_connection
                    assert isinstance(driver, sqlite3.Connection)
                    started = time.process_time()
                    find_orders(
                        conn,
                        campaign_ids=(seller.stored.campaign_id,),
                        query=query,
                        limit=PAGE_SIZE + 1,
                        after=_token_paging(query).after,
                    )
                    listing = _cpu_ms(started)
                    driver.set_trace_callback(statements.append)
                    started = time.process_time()
                    _body(_page(conn, seller, query))
                    cold = _cpu_ms(started)
                    driver.set_trace_callback(None)
                    _page(conn, seller, query, shelf)  # its orders kept
                    started = time.process_time()
                    _body(_page(conn, seller, query, shelf))
                    kept = _cpu_ms(started)
                selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
                started = time.process_time()
                bare.execute("BEGIN")
                to_json([bare.execute(sql).fetchall() for sql in selects])
                bare.execute("COMMIT")
                costs.append(PageCost(_cpu_ms(started), listing, cold, kept))
    finally:
        bare.close()
    return costs


def _line(name: str, values: list[float]) -> str:
    quartiles = statistics.quantiles(values, n=4)
    return (
        f"  {name:<16} median {statistics.median(values):.2f} ms"
        f"   quartiles {quartiles[0]:.2f}–{quartiles[2]:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.order_list_floor")
    parser.add_argument("--rounds", type=int, default=5, help="times each page is measured")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dbskit-floor-") as folder:
        path = str(Path(folder) / "floor.sqlite3")
        url = f"sqlite:///{path}"
        db = Database(url)
        try:
            migrations.upgrade(db)
            print("writing 100,000 orders ...", flush=True)
            seller = _seller(db, url)
            costs = measure(db, seller, path, args.rounds)
        finally:
            db.dispose()
    print(f"{len(costs)} pages of {PAGE_SIZE} orders (CPU per page):")
    print(_line("driver floor", [cost.floor for cost in costs]))
    print(_line("listing", [cost.listing for cost in costs]))
    print(_line("page, none kept", [cost.cold for cost in costs]))
    print(_line("page, all kept", [cost.kept for cost in costs]))


if __name__ == "__main__":
    main()
