"""The benchmark harness: what counts as a run, the ratios, and wrk with the Lua script."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterator

import psycopg
import pytest
from benchmarks._paths import REPO, child_env
from benchmarks.load import LoadResult, _request_text, run_wrk, threads_for
from benchmarks.report import Results
from benchmarks.workloads import (
    BARE,
    BARE_POSTGRES,
    BARE_POSTGRES_LABEL,
    BARE_POSTGRES_TARGET,
    WORKLOADS,
    Call,
    Variant,
)

from benchmarks import bare_postgres, servers, targets
from tests.conftest import POSTGRES_URL_VARIABLE, postgres_url


def result(
    rps: float, statuses: dict[str, int], socket_errors: int = 0, cpu_us: float = 10.0
) -> LoadResult:
    requests = sum(statuses.values())
    return LoadResult(
        connections=16,
        seconds=requests / rps,
        requests=requests,
        socket_errors=socket_errors,
        statuses=statuses,
        expected_status=200,
        p50_ms=1.0,
        p99_ms=2.0,
        max_ms=3.0,
        server_cpu_s=cpu_us * requests / 1e6,
    )


@pytest.mark.parametrize(
    ("statuses", "socket_errors", "valid"),
    [
        pytest.param({"200": 999, "500": 1}, 0, True, id="exactly-99.9%"),
        pytest.param({"200": 998, "500": 2}, 0, False, id="below-99.9%"),
        pytest.param({"200": 999}, 1, True, id="a-socket-error-counts-as-a-bad-answer"),
        pytest.param({"200": 998}, 2, False, id="socket-errors-below-99.9%"),
        pytest.param({"404": 1000}, 0, False, id="all-the-wrong-status"),
    ],
)
def test_a_run_counts_only_with_999_per_mille_expected(
    statuses: dict[str, int], socket_errors: int, valid: bool
) -> None:
    assert result(1000.0, statuses, socket_errors).valid is valid


@pytest.mark.parametrize(("connections", "threads"), [(1, 1), (16, 2), (64, 2), (5, 1)])
def test_threads_keep_every_connection(connections: int, threads: int) -> None:
    assert threads_for(connections) == threads


def test_request_file_holds_method_path_headers_and_body() -> None:
    call = Call(method="POST", path="/x", headers={"Content-Type": "application/json"}, body="{}")
    assert _request_text(call) == "POST /x\nContent-Type: application/json\n\n{}"
    with pytest.raises(ValueError, match="line break"):
        _request_text(Call(headers={"X": "a\nb"}))


def test_setup_values_fill_the_placeholders_of_path_and_headers() -> None:
    call = Call(path="/orders/{order}", headers={"X": "{order}"}, body='{"id": 1}')
    filled = call.with_values({"order": "42"})
    assert (filled.path, dict(filled.headers), filled.body) == (
        "/orders/42",
        {"X": "42"},
        '{"id": 1}',
    )


def test_a_variant_is_one_line_of_token_path_and_body() -> None:
    assert Variant("key", "/p", '{"a":1}').line() == 'key\t/p\t{"a":1}'
    assert Variant(body="{}").line() == "\t\t{}"
    with pytest.raises(ValueError, match="line break"):
        Variant(body='{"a":\n1}').line()


def test_ratios_pair_the_rounds_and_skip_runs_that_do_not_count() -> None:
    args = argparse.Namespace(duration=5, database_url=None)
    results = Results.begin(args, list(WORKLOADS))
    workload = WORKLOADS[0]
    rounds = [(1000, 600, 20.0, True), (2000, 1000, 25.0, True), (1000, 900, 10.0, False)]
    for bare_rps, ours_rps, ours_cpu_us, ours_ok in rounds:
        results.add("bare", None, result(bare_rps, {"200": 1000}, cpu_us=10.0))
        statuses = {"200": 1000 if ours_ok else 10, "500": 0 if ours_ok else 990}
        results.add("dbskit", workload, result(ours_rps, statuses, cpu_us=ours_cpu_us))
    row = next(r for r in results.rows() if r["target"] == "dbskit")
    assert row["vs_bare"] == {
        "median": 0.55,
        "rounds": [0.6, 0.5],
        "cpu_median": 0.45,
        "cpu_rounds": [0.5, 0.4],
    }
    assert row["rps"] == 800.0
    assert (row["rounds"], row["counted"]) == (3, 2)


@pytest.fixture
def bare_server() -> Iterator[servers.Server]:
    port = servers.free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.bare:app", "--app-dir", str(REPO)]
    server = servers.start(
        "bare", [*command, "--port", str(port)], port=port, env=child_env(), ready_path="/"
    )
    yield server
    server.stop()
    assert server.process.poll() is not None


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_counts_every_status(bare_server: servers.Server) -> None:
    ok = run_wrk(bare_server.base_url, BARE, connections=2, duration=1)
    assert ok.valid and ok.requests > 0
    assert ok.statuses == {"200": ok.requests}
    missing = Call(path="/nowhere", expected_status=200, token_header="X-Token")
    variants = (Variant("a"), Variant("b"))
    wrong = run_wrk(bare_server.base_url, missing, connections=2, duration=1, variants=variants)
    assert not wrong.valid
    assert wrong.statuses == {"404": wrong.requests}


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_a_variant_can_carry_its_own_path(bare_server: servers.Server) -> None:
    elsewhere = Call(path="/nowhere", expected_status=200, token_header="X-Token")
    variants = (Variant("a", "/"), Variant("b", "/"))
    result = run_wrk(bare_server.base_url, elsewhere, connections=2, duration=1, variants=variants)
    assert result.valid and result.statuses == {"200": result.requests}


def test_dbskit_on_postgresql_is_compared_with_the_bare_postgresql_route_too() -> None:
    args = argparse.Namespace(duration=5, database_url="postgresql://bench")
    results = Results.begin(args, list(WORKLOADS))
    workload = WORKLOADS[0]
    results.add("bare", None, result(10_000, {"200": 1000}, cpu_us=30.0))
    bare_pg = result(2_000, {"200": 1000}, cpu_us=300.0)
    results.add(BARE_POSTGRES_TARGET, None, bare_pg, label=BARE_POSTGRES_LABEL)
    results.add("dbskit", workload, result(1_000, {"200": 1000}, cpu_us=600.0))
    rows = {row["target"]: row for row in results.rows()}
    assert rows[BARE_POSTGRES_TARGET]["workload"] == BARE_POSTGRES_LABEL
    assert rows[BARE_POSTGRES_TARGET]["vs_bare"]["median"] == 0.2
    assert rows["dbskit"]["vs_bare"]["median"] == 0.1
    assert rows["dbskit"]["vs_bare_postgres"] == {
        "median": 0.5,
        "rounds": [0.5],
        "cpu_median": 0.5,
        "cpu_rounds": [0.5],
    }
    assert "vs_bare_postgres" not in rows["bare"]


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_bare_postgresql_route_commits_each_write() -> None:
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_URL_VARIABLE} to run this case")
    with targets.fresh_postgres_database(url) as database:
        server = targets.start_bare_postgres(workers=1, database_url=database)
        try:
            load = run_wrk(server.base_url, BARE_POSTGRES, connections=4, duration=1)
        finally:
            server.stop()
        assert load.valid and load.requests > 0
        with psycopg.connect(database) as conn:
            logged = conn.execute("SELECT count(*), min(body), max(body) FROM bench_log").fetchone()
            tracked = conn.execute("SELECT count(*) FROM bench_rows WHERE track IS NOT NULL")
            (rows_tracked,) = tracked.fetchone() or (0,)
    # Every answered request committed its log row; wrk may stop with some calls unanswered.
    assert logged is not None and logged[0] >= load.requests
    assert logged[1] == logged[2] == BARE_POSTGRES.body
    assert rows_tracked == min(logged[0], bare_postgres.ROWS)
