"""Importing keys into the store's vault: the figure is 100,000 keys in under 5 s on SQLite.

``python -m benchmarks.store_keys_import [--keys 100000] [--offers 20] [--store-database-url URL]``

What ``dbskit store keys import FILE`` does, timed in its parts on a fresh vault: reading and
checking the CSV file, and writing the keys in one transaction (with the look-up of those already
stored). Then the same file again, every key a duplicate: the import's worst case for the
look-up, writing nothing. The file has one header line and ``--keys`` rows over ``--offers``
offers, each key 29 characters with an activation date, as a seller's export would have.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dbskit.settings import Settings
from dbskit.shop.storage import vault
from dbskit.shop.storage.database import open_store_database
from dbskit.shop.storage.key_file import read_key_file

FIGURE_KEYS = 100_000
FIGURE_SECONDS = 5.0  # issue 22's figure for FIGURE_KEYS keys on SQLite


def write_key_file(path: Path, keys: int, offers: int) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write("offerId,key,activateTill\n")
        for n in range(keys):
            file.write(f"GAME-{n % offers:03d},KEY-{n:08d}-XXXX-YYYY-ZZZZ,2031-12-31\n")


def run(keys: int, offers: int, store_database_url: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="dbskit-keys-") as folder:
        path = Path(folder) / "keys.csv"
        write_key_file(path, keys, offers)
        settings = Settings(data_dir=Path(folder) / "data", store_database_url=store_database_url)
        started = time.perf_counter()
        rows = read_key_file(path)
        read_done = time.perf_counter()
        db = open_store_database(settings)
        try:
            opened = time.perf_counter()
            report = vault.import_keys(db, rows)
            written = time.perf_counter()
            again = vault.import_keys(db, read_key_file(path))
            repeated = time.perf_counter()
        finally:
            db.dispose()
        if report.imported != keys or len(again.duplicates) != keys:
            raise SystemExit(
                f"unexpected import: {report.imported} new, {len(again.duplicates)} repeated"
            )
        return {
            "read and check the file": read_done - started,
            "open the store database": opened - read_done,
            "write the keys": written - opened,
            "total": written - started,
            "the same file again (all duplicates)": repeated - written,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=FIGURE_KEYS)
    parser.add_argument("--offers", type=int, default=20)
    parser.add_argument("--store-database-url", default=None, help="default: SQLite in a temp dir")
    arguments = parser.parse_args()
    figures = run(arguments.keys, arguments.offers, arguments.store_database_url)
    database = "PostgreSQL" if arguments.store_database_url else "SQLite"
    print(f"importing {arguments.keys:,} keys over {arguments.offers} offers ({database})")
    for name, seconds in figures.items():
        print(f"  {name:<40} {seconds:6.2f} s")
    if arguments.keys == FIGURE_KEYS and not arguments.store_database_url:
        verdict = "met" if figures["total"] < FIGURE_SECONDS else "NOT met"
        print(
            f"  figure: under {FIGURE_SECONDS:.0f} s for {FIGURE_KEYS:,} keys on SQLite: {verdict}"
        )


if __name__ == "__main__":
    main()
