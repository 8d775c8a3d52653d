"""The test tools: sandbox resets, the pytest plugin, and the CLI's start-up.

``python -m benchmarks.test_tools [--part reset|plugin|help] [--rounds 3]``; without ``--part``
all three run.

- ``reset``: ``dbskit serve`` on a fresh SQLite data dir; before each round a campaign holding
  ``ORDERS`` orders (with their items and one scheduled purge event each, as a test order has)
  and ``QUERY_LOG_ENTRIES`` query-log entries, written straight into the databases (placing them
  through HTTP would take minutes); then ``POST /sandbox/reset`` timed as the client sees it,
  once for the whole sandbox and once (after a refill) for the campaign. Median of the rounds.
- ``plugin``: (a) what the ``dbskit`` fixture does per test (a full reset, a new campaign, its
  Api-Key) ``FIXTURE_ITERATIONS`` times against one server: median, p95, max; (b) a generated
  ``SUITE_TESTS``-test seller suite run by pytest in a subprocess (the plugin starts its own
  server), wall time, median of the rounds.
- ``help``: wall time of ``python -m dbskit ... --help`` for a few commands, best of
  ``HELP_TRIES``.

Everything listens on loopback and stops by itself; temporary dirs are removed.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import servers, targets
from benchmarks._paths import REPO, child_env, use_checkout_sources
from benchmarks.stored_orders import build_orders, settle

if TYPE_CHECKING:
    from dbskit.market.storage.query_log import QueryLogEntry
    from dbskit.testing.control import SandboxControl

ORDERS = 10_000
QUERY_LOG_ENTRIES = 100_000
ROWS_PER_TRANSACTION = 5_000
FIXTURE_ITERATIONS = 300
SUITE_TESTS = 100
SUITE_FILES = 5
HELP_TRIES = 3
HELP_COMMANDS: tuple[tuple[str, ...], ...] = (
    (),
    ("sandbox",),
    ("sandbox", "orders", "create"),
    ("serve",),
    ("store", "serve"),
    ("api",),
    ("check-cart",),
)
SUITE_TIMEOUT_S = 600
Json = dict[str, Any]
PARTS = ("reset", "plugin", "help")
# The purge of a test order is due this long after it was placed (far past the run).
PURGE_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    target: str


# --- reset -----------------------------------------------------------------------------------


def query_log_entry(at_micros: int, campaign_id: int, business_id: int) -> QueryLogEntry:
    """One getOrders call as the query log stores it."""
    return {
        "at": at_micros,
        "method": "GET",
        "path": f"/v2/campaigns/{campaign_id}/orders",
        "query": "page=1",
        "status": 200,
        "operation_id": "getOrders",
        "campaign_id": campaign_id,
        "business_id": business_id,
        "request_headers": '{"api-key":"***","accept":"*/*"}',
        "request_body": "",
        "request_size": 0,
        "request_truncated": False,
        "response_headers": '{"content-type":"application/json"}',
        "response_body": '{"status":"OK","orders":[]}',
        "response_size": 27,
        "response_truncated": False,
        "fault_rule_id": None,
        "fault": None,
    }


def fill(
    database_url: str,
    *,
    campaign_id: int,
    business_id: int,
    orders: int,
    entries: int,
    now: datetime,
) -> None:
    """``orders`` orders of the campaign with their items and purge events (the rows dbskit's
    storage writes for a test order), and ``entries`` query-log entries of the campaign, written
    straight into the database of ``database_url`` and the query log's beside it."""
    use_checkout_sources()
    from sqlalchemy import insert

    from dbskit.database.db import Database
    from dbskit.database.values import to_micros
    from dbskit.market.services.sandbox_orders import PURGE_TEST_ORDER
    from dbskit.market.storage.orders import item_rows, order_row
    from dbskit.market.storage.query_log import insert_entries
    from dbskit.market.storage.scheduled_events import schedule_many
    from dbskit.market.storage.tables import order_items
    from dbskit.market.storage.tables import orders as orders_table
    from dbskit.settings import normalise_database_url, query_log_url

    built = build_orders(campaign_id, now=now, count=orders, seed=secrets.randbits(32))
    db = Database(normalise_database_url(database_url))
    try:
        for start in range(0, len(built), ROWS_PER_TRANSACTION):
            chunk = built[start : start + ROWS_PER_TRANSACTION]
            with db.write() as conn:
                conn.execute(
                    insert(orders_table), [{"id": order.id, **order_row(order)} for order in chunk]
                )
                conn.execute(
                    insert(order_items), [row for order in chunk for row in item_rows(order)]
                )
                schedule_many(
                    conn,
                    kind=PURGE_TEST_ORDER,
                    events=[(now + PURGE_AFTER, {"orderId": order.id}) for order in chunk],
                    now=now,
                )
    finally:
        db.dispose()
    log_url = query_log_url(normalise_database_url(database_url))
    log_db = Database(log_url)
    first = to_micros(now - timedelta(hours=1))
    try:
        for start in range(0, entries, ROWS_PER_TRANSACTION):
            batch = [
                query_log_entry(first + n, campaign_id, business_id)
                for n in range(start, min(entries, start + ROWS_PER_TRANSACTION))
            ]
            with log_db.write() as conn:
                insert_entries(conn, batch)
    finally:
        log_db.dispose()
    settle(database_url)
    settle(log_url)


@contextmanager
def sandbox_server() -> Iterator[tuple[servers.Server, SandboxControl, str]]:
    """``dbskit serve`` on a fresh SQLite data dir, its control plane, and its database URL."""
    use_checkout_sources()
    from dbskit.testing.control import SandboxControl

    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="dbskit-test-tools-") as tmp:
        data_dir = Path(tmp) / "data"
        server = targets.start_dbskit(data_dir=data_dir, sandbox_token=token, workers=1)
        try:
            with SandboxControl(server.base_url, token) as control:
                url = targets.dbskit_database_url(data_dir=data_dir, database_url=None)
                yield server, control, url
        finally:
            server.stop()


def check_deleted(answer: Json, *, orders: int, entries: int) -> None:
    """The reset deleted at least what the fill wrote (else the figure is of a smaller reset)."""
    deleted = answer["deleted"]
    print(f"  reset deleted {deleted}", file=sys.stderr)
    if deleted.get("orders", 0) < orders or deleted.get("query_log", 0) < entries:
        raise RuntimeError(f"the reset deleted less than was filled: {deleted}")


def measure_resets(
    rounds: int, *, orders: int = ORDERS, entries: int = QUERY_LOG_ENTRIES
) -> dict[str, list[float]]:
    """Seconds of each round's full and campaign reset, each after a fresh fill."""
    times: dict[str, list[float]] = {"full": [], "campaign": []}
    with sandbox_server() as (_, control, url):
        for _ in range(rounds):
            for kind in ("full", "campaign"):
                made = control.create_campaign()
                campaign_id, business_id = int(made["campaignId"]), int(made["businessId"])
                now = datetime.fromisoformat(control.clock()["now"]).astimezone(UTC)
                fill(
                    url,
                    campaign_id=campaign_id,
                    business_id=business_id,
                    orders=orders,
                    entries=entries,
                    now=now,
                )
                target = None if kind == "full" else campaign_id
                started = time.perf_counter()
                answer = control.reset(target)
                times[kind].append(time.perf_counter() - started)
                check_deleted(answer, orders=orders, entries=entries)
    return times


def reset_figures(rounds: int) -> list[Figure]:
    times = measure_resets(rounds)
    return [
        Figure(
            f"{kind} reset ({ORDERS:,} orders, {QUERY_LOG_ENTRIES:,} log entries)",
            ms(statistics.median(seconds)),
            "< 1000 ms",
        )
        for kind, seconds in times.items()
    ]


# --- plugin ----------------------------------------------------------------------------------

_SUITE_HEADER = '"""A seller\'s tests of an order\'s life on the dbskit sandbox."""\n'
_SUITE_TEST = """

def test_order_flow_{number}(dbskit):
    order = dbskit.create_order([{{"offerId": "sku-{number}", "count": 1, "price": 100}}])
    listed = list(dbskit.client.business_orders(business_id=dbskit.business_id, fake=True))
    assert [o.order_id for o in listed] == [order.id]
    moved = dbskit.move_order(order.id, "CANCELLED", "USER_CHANGED_MIND")
    assert moved.status == "CANCELLED"
    assert dbskit.outbox(order_id=order.id)
"""


def write_suite(
    directory: Path, *, tests: int = SUITE_TESTS, files: int = SUITE_FILES
) -> list[Path]:
    """``tests`` tests, each placing an order, listing the business's orders with the helper's
    client, cancelling the order and reading its outbox, spread over ``files`` files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    per_file = -(-tests // files)
    for index in range(files):
        numbers = range(index * per_file, min(tests, (index + 1) * per_file))
        path = directory / f"test_order_flows_{index}.py"
        path.write_text(_SUITE_HEADER + "".join(_SUITE_TEST.format(number=n) for n in numbers))
        written.append(path)
    return written


def pytest_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]


def run_suite(directory: Path, expected: int = SUITE_TESTS) -> float:
    """Seconds of one pytest run of the suite in ``directory`` (its ``expected`` tests must
    pass)."""
    started = time.perf_counter()
    done = subprocess.run(
        pytest_command(str(directory)),
        cwd=directory,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_S,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0 or f"{expected} passed" not in done.stdout:
        raise RuntimeError(
            f"the generated suite failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
        )
    return took


def measure_fixture(iterations: int) -> list[float]:
    """Seconds of each of ``iterations`` runs of the fixture's work on one server."""
    use_checkout_sources()
    from dbskit.testing.helper import DbskitHelper

    times = []
    with sandbox_server() as (server, control, _):
        for _ in range(iterations):
            started = time.perf_counter()
            control.reset()
            helper = DbskitHelper(server.base_url, control)
            times.append(time.perf_counter() - started)
            helper.finish(reset_campaign=False)
    return times


def plugin_figures(rounds: int) -> list[Figure]:
    fixture = sorted(measure_fixture(FIXTURE_ITERATIONS))
    p95 = fixture[min(len(fixture) - 1, int(len(fixture) * 0.95))]
    with tempfile.TemporaryDirectory(prefix="dbskit-suite-") as tmp:
        write_suite(Path(tmp))
        suite = [run_suite(Path(tmp)) for _ in range(rounds)]
    name = f"fixture per test ({FIXTURE_ITERATIONS} runs)"
    return [
        Figure(f"{name}: median", ms(statistics.median(fixture)), "< 50 ms"),
        Figure(f"{name}: p95", ms(p95), ""),
        Figure(f"{name}: max", ms(fixture[-1]), ""),
        Figure(
            f"{SUITE_TESTS}-test seller suite (pytest, wall)",
            f"{statistics.median(suite):.2f} s",
            "< 15 s",
        ),
    ]


# --- help ------------------------------------------------------------------------------------


def help_seconds(command: Sequence[str], tries: int = HELP_TRIES) -> float:
    """The best wall time of ``python -m dbskit <command> --help`` over ``tries`` runs."""
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "dbskit", *command, "--help"],
            cwd=REPO,
            env=child_env(),
            capture_output=True,
            check=True,
        )
        best = min(best, time.perf_counter() - started)
    return best


def help_figures(tries: int = HELP_TRIES) -> list[Figure]:
    return [
        Figure(
            " ".join(("dbskit", *command, "--help")), ms(help_seconds(command, tries)), "< 500 ms"
        )
        for command in HELP_COMMANDS
    ]


# --- the run ---------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def print_table(figures: Sequence[Figure]) -> None:
    width = max(len(figure.name) for figure in figures)
    value_width = max(len(figure.value) for figure in figures)
    for figure in figures:
        print(f"{figure.name:<{width}}  {figure.value:>{value_width}}  {figure.target}".rstrip())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.test_tools", description=__doc__)
    parser.add_argument("--part", choices=PARTS, help="one part (default: all three)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of reset and suite runs")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    parts = (args.part,) if args.part else PARTS
    figures: list[Figure] = []
    if "reset" in parts:
        figures += reset_figures(args.rounds)
    if "plugin" in parts:
        figures += plugin_figures(args.rounds)
    if "help" in parts:
        figures += help_figures()
    print_table(figures)


if __name__ == "__main__":
    main()
