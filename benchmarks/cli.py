"""``python -m benchmarks``: start the servers, measure start-up and memory, run the workloads."""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from benchmarks import report, servers, targets
from benchmarks.calls import GeneratedStore
from benchmarks.load import LoadGeneratorMissing, LoadResult, run_wrk, wrk_path
from benchmarks.method_setups import bench_settings
from benchmarks.store_setup import write_generated_store
from benchmarks.workloads import (
    BARE,
    BARE_POSTGRES,
    BARE_POSTGRES_LABEL,
    WORKLOADS,
    Call,
    SetupContext,
    Variant,
    Workload,
)

# Requests sent after start-up, before idle memory is read (first-request imports and caches).
_REQUESTS_BEFORE_RSS = 50


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    names = [workload.name for workload in WORKLOADS]
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Load benchmarks of dbskit against a bare Starlette route and Prism "
        "(loopback only; docs/benchmarks.md).",
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per load run (5)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per server (1)")
    parser.add_argument(
        "--connections", type=_ints, default=(1, 16, 64), help="comma-separated (1,16,64)"
    )
    parser.add_argument(
        "--prism-connections", type=_ints, default=(16,), help="connections for Prism (16)"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server (1)")
    parser.add_argument(
        "--database-url", help="run dbskit on a fresh database of this PostgreSQL server"
    )
    parser.add_argument("--no-prism", action="store_true", help="leave Prism out")
    parser.add_argument("--workload", action="append", choices=names, help="only these (repeat)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every load run (1)")
    parser.add_argument(
        "--startup-runs", type=int, default=3, help="dbskit start-up measurements (3)"
    )
    parser.add_argument(
        "--startup-only", action="store_true", help="measure start-up and memory, no load"
    )
    parser.add_argument("--output", type=Path, help="JSON results file (benchmarks/results/...)")
    return parser.parse_args(argv)


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("connection counts must be positive")
    return values


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        wrk_path()
    except LoadGeneratorMissing as exc:
        sys.exit(f"benchmarks: {exc}")
    workloads = [w for w in WORKLOADS if not args.workload or w.name in args.workload]
    results = report.Results.begin(args, workloads)

    print(f"start-up of dbskit serve ({args.startup_runs} runs, SQLite) ...", flush=True)
    results.startup = measure_startup(args.startup_runs, args.workers)

    prism_skipped = "--no-prism" if args.no_prism else targets.prism_unavailable()
    if prism_skipped:
        print(f"Prism skipped: {prism_skipped}", flush=True)
        results.prism_skipped = prism_skipped

    with ExitStack() as stack:
        token = secrets.token_urlsafe(16)
        under_test: dict[str, servers.Server] = {}
        bare_postgres = None
        market_database = None  # the Market server's database, for setups that write into it
        if any(w.server == "market" for w in workloads) or args.startup_only:
            database_url = None
            if args.database_url:
                database_url = stack.enter_context(
                    targets.fresh_postgres_database(args.database_url)
                )
                if not args.startup_only:
                    bare_postgres = _serving(
                        stack,
                        targets.start_bare_postgres(
                            workers=args.workers,
                            database_url=stack.enter_context(
                                targets.fresh_postgres_database(args.database_url)
                            ),
                        ),
                    )
            data_dir = _temporary_dir(stack)
            under_test["market"] = _serving(
                stack,
                targets.start_dbskit(
                    data_dir=data_dir,
                    sandbox_token=token,
                    workers=args.workers,
                    database_url=database_url,
                    settings=bench_settings(),
                ),
            )
            market_database = targets.dbskit_database_url(
                data_dir=data_dir, database_url=database_url
            )
        store = None
        if any(w.server == "store" for w in workloads):
            store = _generated_store(stack, results)
            under_test["store"] = _serving(
                stack, targets.start_store(data_dir=_temporary_dir(stack), store=store)
            )
        bare = _serving(stack, targets.start_bare(workers=args.workers))
        prism = None
        if not prism_skipped and any(w.prism is not None for w in workloads):
            prism = _serving(stack, targets.start_prism())
        references = [
            bare,
            *([bare_postgres] if bare_postgres else []),
            *([prism] if prism else []),
        ]
        every = [*under_test.values(), *references]
        results.servers = {s.name: _idle_figures(s) for s in every}
        client = stack.enter_context(httpx.Client(timeout=60))
        rounds = 0 if args.startup_only else args.repeat
        for round_number in range(1, rounds + 1):
            print(f"load round {round_number}/{rounds} ...", flush=True)
            for connections in _connection_counts(workloads, args.connections):
                running = [w for w in workloads if connections in _counts_of(w, args)]
                if not running:
                    continue
                results.add("bare", None, _load(bare, BARE, args, connections))
                if bare_postgres is not None and any(w.server == "market" for w in running):
                    results.add(
                        bare_postgres.name,
                        None,
                        _load(bare_postgres, BARE_POSTGRES, args, connections),
                        label=BARE_POSTGRES_LABEL,
                    )
                for workload in running:
                    server = under_test[workload.server]
                    context = SetupContext(
                        server.base_url, token, connections, client, store, market_database
                    )
                    results.add(server.name, workload, _run(server, workload, context, args))
            if prism is not None:
                for workload in workloads:
                    if workload.prism is None:
                        continue
                    for connections in workload.connections or args.prism_connections:
                        results.add(
                            "prism",
                            workload,
                            _load(prism, workload.prism, args, connections, (), workload.name),
                        )
        results.servers_after_load = {s.name: round(s.rss_mb(), 1) for s in every}

    path = results.save(args.output)
    report.print_tables(results)
    print(f"\nresults written to {path}")


def _counts_of(workload: Workload, args: argparse.Namespace) -> tuple[int, ...]:
    return workload.connections or tuple(args.connections)


def _connection_counts(workloads: Sequence[Workload], asked: Sequence[int]) -> list[int]:
    """The asked counts and those workloads run at instead (e.g. one for the 512 KB body)."""
    return sorted(set(asked).union(*(w.connections or () for w in workloads)))


def _temporary_dir(stack: ExitStack) -> Path:
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbskit-bench-")))


def _generated_store(stack: ExitStack, results: report.Results) -> GeneratedStore:
    print("writing the generated store (100,000 offers, 10,000 regions) ...", flush=True)
    started = time.perf_counter()
    store = write_generated_store(_temporary_dir(stack), secrets.token_urlsafe(16))
    written = time.perf_counter() - started
    results.store_data = {
        "offers": store.offers,
        "regions": store.regions,
        "outlets": store.outlets,
        "files_mb": round(
            sum(f.stat().st_size for f in store.settings_path.parent.iterdir()) / 2**20, 1
        ),
        "written_in_s": round(written, 2),
    }
    return store


def _serving(stack: ExitStack, server: servers.Server) -> servers.Server:
    stack.callback(server.stop)
    return server


def _idle_figures(server: servers.Server) -> dict[str, float]:
    """Start time, and resident memory once start-up is over and a few requests were served."""
    for _ in range(_REQUESTS_BEFORE_RSS):
        try:
            server.get(server.ready_path, server.ready_headers)
        except OSError:
            server.check_alive()  # say so if it exited
            raise
    return {
        "started_in_s": round(server.started_in, 3),
        "startup_cpu_s": round(server.startup_cpu_s, 2),
        "idle_rss_mb": round(server.rss_mb(), 1),
    }


def _run(
    server: servers.Server, workload: Workload, context: SetupContext, args: argparse.Namespace
) -> LoadResult:
    """Fresh data for this run (the workload's setup), then the load."""
    started = time.perf_counter()
    try:
        prepared = workload.setup(context) if workload.setup else None
    except httpx.TransportError:
        server.check_alive()  # say so if it exited
        raise
    if prepared is not None:
        print(
            f"  setup   {workload.name} c={context.connections}: {len(prepared.variants)} "
            f"request variants in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    call = workload.dbskit.with_values(prepared.values) if prepared else workload.dbskit
    variants = prepared.variants if prepared else ()
    return _load(server, call, args, context.connections, variants, workload.name)


def _load(
    server: servers.Server,
    call: Call,
    args: argparse.Namespace,
    connections: int,
    variants: Sequence[Variant] = (),
    label: str | None = None,
) -> LoadResult:
    if args.warmup:
        run_wrk(
            server.base_url, call, connections=connections, duration=args.warmup, variants=variants
        )
    cpu_before = server.cpu_seconds()
    result = run_wrk(
        server.base_url, call, connections=connections, duration=args.duration, variants=variants
    )
    result = dataclasses.replace(result, server_cpu_s=server.cpu_seconds() - cpu_before)
    server.check_alive()
    flag = (
        "" if result.valid else f"  NOT COUNTED: {result.expected_share:.2%} {call.expected_status}"
    )
    print(
        f"  {server.name:7} {label or call.method + ' ' + call.path} c={connections:<3} "
        f"{result.rps:9.0f} req/s  p50 {result.p50_ms:.2f} ms  p99 {result.p99_ms:.2f} ms  "
        f"server CPU {result.cpu_us_per_request:.0f} µs/req{flag}",
        flush=True,
    )
    return result


def measure_startup(runs: int, workers: int) -> list[dict[str, float]]:
    """``dbskit serve`` to first 200: on an empty data dir, then again on the one it created."""
    measured = []
    for _ in range(runs):
        token = secrets.token_urlsafe(16)
        with tempfile.TemporaryDirectory(prefix="dbskit-bench-start-") as tmp:
            row: dict[str, float] = {}
            for start in ("first_start", "existing_data_dir"):
                server = targets.start_dbskit(
                    data_dir=Path(tmp), sandbox_token=token, workers=workers
                )
                with _stopped(server):
                    row[f"{start}_s"] = round(server.started_in, 3)
                    row[f"{start}_cpu_s"] = round(server.startup_cpu_s, 2)
                    row["idle_rss_mb"] = _idle_figures(server)["idle_rss_mb"]
            measured.append(row)
        time.sleep(0.2)
    return measured


@contextmanager
def _stopped(server: servers.Server) -> Iterator[servers.Server]:
    try:
        yield server
    finally:
        server.stop()


__all__ = ["main"]
