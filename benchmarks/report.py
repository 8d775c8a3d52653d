"""Collecting the figures of a run, the ratios, the stdout tables and the JSON file."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import targets
from benchmarks._paths import RESULTS_DIR
from benchmarks.load import REQUIRED_SHARE, LoadGeneratorMissing, LoadResult, wrk_path
from benchmarks.workloads import BARE_POSTGRES_LABEL, BARE_POSTGRES_TARGET, Workload


@dataclass
class Results:
    started_at: datetime
    options: dict[str, Any]
    machine: dict[str, Any]
    workloads: dict[str, str]
    startup: list[dict[str, float]] = field(default_factory=list)
    servers: dict[str, dict[str, float]] = field(default_factory=dict)
    servers_after_load: dict[str, float] = field(default_factory=dict)
    prism_skipped: str | None = None
    store_data: dict[str, Any] = field(default_factory=dict)  # the generated store, if run
    # (target, workload name or "", connections) -> one LoadResult per round
    runs: dict[tuple[str, str, int], list[LoadResult]] = field(default_factory=dict)

    @classmethod
    def begin(cls, args: argparse.Namespace, workloads: list[Workload]) -> Results:
        options = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        if options.get("database_url"):
            options["database_url"] = "postgresql (fresh database)"
        return cls(
            started_at=datetime.now(UTC),
            options=options,
            machine=machine_facts(),
            workloads={w.name: w.measures for w in workloads},
        )

    def add(
        self, target: str, workload: Workload | None, result: LoadResult, *, label: str = ""
    ) -> None:
        """A round of ``workload`` on ``target``; a reference route has a ``label`` instead."""
        key = (target, workload.name if workload else label, result.connections)
        self.runs.setdefault(key, []).append(result)

    def rows(self) -> list[dict[str, Any]]:
        """One row per (target, workload, connections): medians over the rounds, and ratios."""
        rows = []
        for (target, workload, connections), results in self.runs.items():
            counted = [r for r in results if r.valid]
            row: dict[str, Any] = {
                "target": target,
                "workload": workload or "GET / (bare route)",
                "connections": connections,
                "rounds": len(results),
                "counted": len(counted),
                "rps": _median([r.rps for r in counted]),
                "p50_ms": _median([r.p50_ms for r in counted]),
                "p99_ms": _median([r.p99_ms for r in counted]),
                "cpu_us_per_request": _median([r.cpu_us_per_request for r in counted]),
                "worst_expected_share": min(r.expected_share for r in results),
                "statuses": [r.statuses for r in results],
            }
            if target not in ("bare", "prism"):  # dbskit, its store, the bare PostgreSQL route
                row["vs_bare"] = self._ratios(results, self.runs.get(("bare", "", connections)))
            if target in ("dbskit", "store"):
                prism = self.runs.get(("prism", workload, connections))
                row["vs_prism"] = self._ratios(results, prism)
            floor = self.runs.get((BARE_POSTGRES_TARGET, BARE_POSTGRES_LABEL, connections))
            if target == "dbskit" and floor is not None:  # runs on PostgreSQL only
                row["vs_bare_postgres"] = self._ratios(results, floor)
            rows.append(row)
        return rows

    @staticmethod
    def _ratios(ours: list[LoadResult], theirs: list[LoadResult] | None) -> dict[str, Any] | None:
        """Throughput ratio per round (each round measured both back to back), and the ratio of
        server CPU time per request (theirs / ours: the throughput ratio of two servers that
        each had a core to themselves), with their medians."""
        if not theirs:
            return None
        pairs = [(a, b) for a, b in zip(ours, theirs, strict=False) if a.valid and b.valid]
        per_round = [round(a.rps / b.rps, 3) for a, b in pairs if b.rps]
        by_cpu = [
            round(b.cpu_us_per_request / a.cpu_us_per_request, 3)
            for a, b in pairs
            if a.cpu_us_per_request
        ]
        return {
            "median": _median(per_round),
            "rounds": per_round,
            "cpu_median": _median(by_cpu),
            "cpu_rounds": by_cpu,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "options": self.options,
            "machine": self.machine,
            "workloads": self.workloads,
            "required_expected_share": REQUIRED_SHARE,
            "dbskit_startup": self.startup,
            "servers": self.servers,
            "rss_after_load_mb": self.servers_after_load,
            "store_data": self.store_data,
            "prism_skipped": self.prism_skipped,
            "load": self.rows(),
            "runs": [
                {"target": t, "workload": w, **r.to_json()}
                for (t, w, _), results in self.runs.items()
                for r in results
            ],
        }

    def save(self, path: Path | None) -> Path:
        if path is None:
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            path = RESULTS_DIR / f"{self.started_at:%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def machine_facts() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        wrk = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True, check=False)
        wrk_version = (wrk.stdout or wrk.stderr).strip().splitlines()[0]
    except (LoadGeneratorMissing, IndexError):
        wrk_version = ""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version,
        "prism": targets.prism_version(),
        "load_average": os.getloadavg(),
    }


def print_tables(results: Results) -> None:
    print("\nstart-up of dbskit serve to first 200 (SQLite):")
    for run in results.startup:
        print(
            f"  empty data dir {run['first_start_s']:.2f} s (CPU {run['first_start_cpu_s']:.2f} s)"
            f"   existing data dir {run['existing_data_dir_s']:.2f} s "
            f"(CPU {run['existing_data_dir_cpu_s']:.2f} s)   idle RSS {run['idle_rss_mb']:.1f} MB"
        )
    print("\nservers of the load runs (start to first 200, its CPU time, idle RSS, RSS after):")
    for name, figures in results.servers.items():
        after = results.servers_after_load.get(name)
        print(
            f"  {name:7} {figures['started_in_s']:.2f} s   CPU {figures['startup_cpu_s']:.2f} s   "
            f"{figures['idle_rss_mb']:.1f} MB   {after} MB"
        )
    if results.prism_skipped:
        print(f"  prism   skipped: {results.prism_skipped}")
    if results.store_data:
        print(f"  (store: generated data {results.store_data}; its start includes loading them)")
    print(
        f"\n{'target':7} {'workload':22} {'conns':>5} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'counted':>7} {'CPU µs':>7} {'vs bare':>10} {'vs Prism':>10} {'vs bare-pg':>10}"
    )
    for row in sorted(results.rows(), key=lambda r: (r["workload"], r["connections"], r["target"])):
        print(
            f"{row['target']:7} {row['workload'][:22]:22} {row['connections']:>5} "
            f"{_fmt(row['rps'], 0):>9} {_fmt(row['p50_ms'], 2):>7} {_fmt(row['p99_ms'], 2):>7} "
            f"{row['counted']:>3}/{row['rounds']:<3} {_fmt(row['cpu_us_per_request'], 0):>7} "
            f"{_ratio(row.get('vs_bare')):>10} {_ratio(row.get('vs_prism')):>10} "
            f"{_ratio(row.get('vs_bare_postgres')):>10}"
        )
        if row["counted"] < row["rounds"]:
            print(
                f"        not counted: only {row['worst_expected_share']:.2%} of the answers had "
                f"the expected status (statuses {row['statuses']})"
            )


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(ratios: dict[str, Any] | None) -> str:
    """Throughput ratio / CPU-per-request ratio."""
    if not ratios or ratios["median"] is None:
        return ""
    return f"{ratios['median']:.2f}/{ratios['cpu_median']:.2f}"
