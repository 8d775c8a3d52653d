"""``python -m benchmarks.cabinet`` runs end to end on a small sandbox: the data it builds is
what the cabinet's reads read, at 0015 and at head (its figures are in docs/benchmarks.md)."""

from __future__ import annotations

import pytest

from benchmarks import cabinet


def test_the_benchmark_runs_on_a_small_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    cabinet.main(
        [
            *("--orders", "300", "--entries", "3000", "--calls", "20", "--deep-page", "3"),
            *("--no-pages", "--no-outbox"),
        ]
    )
    printed = capsys.readouterr().out
    assert "migration 0015 -> 0016: the query log's file, 3,000 entries" in printed
    deep_pages = ("orders list, deep page", "query-log page, deep page", "requests, deep page")
    for read in ("orders list", "order page", "query-log page", *deep_pages):
        (line,) = [line for line in printed.splitlines() if line.startswith(f"{read} ")]
        assert "n=  20" in line


def test_the_outbox_part_runs_on_a_small_outbox(capsys: pytest.CaptureFixture[str]) -> None:
    cabinet.main(["--outbox-only", "--messages", "500", "--calls", "20"])
    printed = capsys.readouterr().out
    assert "migration 0016 -> 0017: the outbox, 500 messages" in printed
    named = {line.split(" n=")[0].strip(): line for line in printed.splitlines() if " n=" in line}
    assert sorted(named) == ["outbox page", "outbox page at 0016", "outbox page, page"]
    assert all("n=  20" in line for line in named.values())
