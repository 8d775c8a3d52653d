"""Load time and memory of the store with a large generated data set.

    python benchmarks/store_load.py [--offers 100000] [--regions 10000] [--catalogue xml|csv]

Writes the generated store to a temporary folder, then, in a fresh interpreter, loads it, reloads
it (both copies alive at once, as during a reload), and times the pure responder on random
baskets. Prints one JSON object. Targets: load < 5 s, RSS < 300 MB, peak during a reload < 450 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

_MEASURE = r"""
import gc, json, random, resource, sys, time
from datetime import UTC, datetime
from pathlib import Path

def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

from dbskit.contract.cart import CartRequest
from dbskit.shop.cart import answer_cart
from dbskit.store_data.loaders import load_store
from dbskit.shop.service import freeze_loaded

path = Path(sys.argv[1])
before = rss_mb()
started = time.perf_counter()
data = load_store(path)
load_seconds = time.perf_counter() - started
freeze_loaded()
loaded = rss_mb()

started = time.perf_counter()
again = load_store(path)
reload_seconds = time.perf_counter() - started
peak_reload = peak_mb()
data = again
del again
gc.collect()

rng = random.Random(7)
offers = [offer.offer_id for offer in data.catalogue]
regions = [region.id for region in data.regions.regions()]
now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
timings = []
for _ in range(2000):
    region = rng.choice(regions)
    node = None
    for region_id in reversed(data.regions.chain(region)):
        node = {"id": region_id, "parent": node}
    items = [
        {"feedId": 1000, "offerId": rng.choice(offers), "count": rng.randint(1, 5)}
        for _ in range(rng.randint(1, 5))
    ]
    body = {"cart": {"delivery": {"region": node}, "items": items}}
    t0 = time.perf_counter()
    answer = answer_cart(CartRequest.model_validate(body), data, now)
    answer.model_dump_json(by_alias=True, exclude_none=True)
    timings.append((time.perf_counter() - t0) * 1000)
timings.sort()
print(json.dumps({
    "offers": len(data.catalogue), "regions": len(data.regions),
    "rules": len(data.rules), "outlets": data.rules.outlet_count,
    "load_seconds": round(load_seconds, 2), "reload_seconds": round(reload_seconds, 2),
    "rss_before_mb": round(before, 1), "rss_loaded_mb": round(loaded, 1),
    "peak_during_reload_mb": round(peak_reload, 1),
    "responder_p50_ms": round(timings[len(timings) // 2], 3),
    "responder_p99_ms": round(timings[int(len(timings) * 0.99)], 3),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=10_000)
    parser.add_argument("--outlets", type=int, default=2_000)
    parser.add_argument("--catalogue", choices=["xml", "csv"], default="xml")
    parser.add_argument("--settings", choices=["yaml", "toml"], default="yaml")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    sys.path.insert(0, str(SRC))
    from dbskit.store_data.generate import write_store

    with tempfile.TemporaryDirectory(prefix="dbskit-store-") as folder:
        started = time.perf_counter()
        path = write_store(
            Path(folder),
            args.seed,
            settings_format=args.settings,
            catalogue_format=args.catalogue,
            offers=args.offers,
            regions=args.regions,
            outlets=args.outlets,
        )
        written = time.perf_counter() - started
        result = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(path)],
            env={"PYTHONPATH": str(SRC)},
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(result.stdout)
        figures["catalogue"] = args.catalogue
        figures["settings"] = args.settings
        figures["write_seconds"] = round(written, 2)
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
