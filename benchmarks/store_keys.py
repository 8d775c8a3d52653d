"""How long ``dbskit store keys import`` takes for a large file, as a seller runs it.

    python -m benchmarks.store_keys [--keys 100000] [--rounds 3] [--store-database-url URL]

Each round writes ``--keys`` keys of ten offers (``offerId,key,activateTill,slip``, a date and a
slip on every tenth) and imports them into a fresh store database (SQLite in a new data dir, or
``--store-database-url``, where the rounds add to one vault: use a fresh database), timing the
whole command, interpreter start included, and its CPU; then ``keys status`` once. Target:
100,000 keys in under 5 s. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.store_seller import KEYS_HEADER, dbskit, machine, print_json

IMPORT_TARGET_SECONDS = 5.0  # issue 22: 100,000 keys
OFFERS = 10


def write_keys(path: Path, count: int, round_number: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(KEYS_HEADER)
        for n in range(count):
            dated = n % 10 == 0
            writer.writerow(
                [
                    f"game-{n % OFFERS}",
                    f"R{round_number}-{n:09d}-XXXX-YYYY",
                    "2030-12-31" if dated else "",
                    "<p>Activate in the launcher</p>" if dated else "",
                ]
            )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(*args: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``dbskit <args>``, and its output."""
    cpu, started = _children_cpu(), time.perf_counter()
    output = dbskit(*args)
    return time.perf_counter() - started, _children_cpu() - cpu, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store-database-url", default=None)
    args = parser.parse_args()
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dbskit-store-keys-") as tmp:
        for number in range(1, args.rounds + 1):
            folder = Path(tmp) / f"round-{number}"
            folder.mkdir()
            keys_file = folder / "keys.csv"
            write_keys(keys_file, args.keys, number)
            where = ["--data-dir", str(folder / "data")]
            if args.store_database_url:
                where += ["--store-database-url", args.store_database_url]
            wall, cpu, output = timed("store", "keys", "import", str(keys_file), *where)
            status_wall, _, _ = timed("store", "keys", "status", "--low-stock", "0", *where)
            rounds.append(
                {
                    "import_seconds": round(wall, 2),
                    "import_cpu_seconds": round(cpu, 2),
                    "status_seconds": round(status_wall, 2),
                    "said": output.strip().splitlines()[0],
                }
            )
    walls = sorted(r["import_seconds"] for r in rounds)
    print_json(
        {
            "benchmark": "store_keys",
            "machine": machine(),
            "keys": args.keys,
            "store_database": "postgresql" if args.store_database_url else "sqlite",
            "rounds": rounds,
            "import_seconds_median": walls[len(walls) // 2],
            "target_seconds": IMPORT_TARGET_SECONDS,
        }
    )


if __name__ == "__main__":
    main()
