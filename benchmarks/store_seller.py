"""What the store benchmarks share: the emulator and ``dbskit store serve`` as processes, a
campaign and its key, keys imported through ``dbskit store keys import``, and percentiles.

The store is driven as a seller drives it, through its commands and HTTP only.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from benchmarks import servers, targets
from benchmarks._paths import child_env

SANDBOX_TOKEN = "store-bench-sandbox-token"
PUSH_TOKEN = "store-bench-push-token"
KEYS_HEADER = ("offerId", "key", "activateTill", "slip")
OFFER_ID = "game-bench"


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))  # 1-based: the smallest value at or above
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p99 and max of durations given in seconds, in milliseconds."""

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return {
        "count": len(seconds),
        "p50_ms": ms(percentile(seconds, 0.50)),
        "p99_ms": ms(percentile(seconds, 0.99)),
        "max_ms": ms(max(seconds) if seconds else None),
    }


def market_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def dbskit(*args: str) -> str:
    """``dbskit <args>`` in a process of its own; its stdout. A failure stops the benchmark."""
    finished = subprocess.run(
        [sys.executable, "-m", "dbskit", *args],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(
            f"dbskit {' '.join(args)} exited {finished.returncode}: {finished.stderr[-2000:]}"
        )
    return finished.stdout


@dataclass
class Seller:
    """The emulator with a campaign and key, and the store that serves the campaign."""

    market: servers.Server
    store: servers.Server
    sandbox: httpx.Client
    business_id: int
    campaign_id: int
    api_key: str
    store_args: list[str]

    def point_notifications_at_store(self) -> None:
        answer = self.sandbox.patch(
            f"/sandbox/campaigns/{self.campaign_id}", json={"notificationUrl": self.store.base_url}
        )
        answer.raise_for_status()

    def place_digital_order(self, http: httpx.Client, count: int = 1) -> dict[str, Any]:
        body = {
            "items": [{"offerId": OFFER_ID, "count": count, "price": 990}],
            "delivery": {"type": "DIGITAL", "digitalGoods": {"type": "EMAIL"}},
        }
        answer = http.post(f"/sandbox/campaigns/{self.campaign_id}/orders", json=body)
        answer.raise_for_status()
        order: dict[str, Any] = answer.json()["order"]
        return order

    def order_view(self, http: httpx.Client, order_id: int) -> dict[str, Any]:
        answer = http.get(f"/sandbox/campaigns/{self.campaign_id}/orders/{order_id}")
        answer.raise_for_status()
        view: dict[str, Any] = answer.json()
        return view

    def exported_keys(self, folder: Path) -> list[str]:
        path = folder / f"delivered-{time.monotonic_ns()}.csv"
        dbskit("store", "keys", "export", "--output", str(path), *self.store_args)
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        return [row[next(name for name in row if name.lower() == "key")] for row in rows]


def import_keys(folder: Path, count: int, store_args: Sequence[str]) -> float:
    """Writes ``count`` keys of the benchmark's offer and imports them; the seconds it took."""
    path = folder / "keys.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(KEYS_HEADER)
        writer.writerows([OFFER_ID, f"BENCH-{n:08d}", "", ""] for n in range(count))
    started = time.perf_counter()
    dbskit("store", "keys", "import", str(path), *store_args)
    return time.perf_counter() - started


def sandbox_client(base_url: str) -> httpx.Client:
    headers = {"Sandbox-Token": SANDBOX_TOKEN}
    return httpx.Client(base_url=base_url, headers=headers, timeout=60)


@contextmanager
def seller(
    folder: Path,
    *,
    keys: int,
    market_settings: Mapping[str, str],
    store_options: Iterable[str] = (),
    store_database_url: str | None = None,
    market_access: bool = True,
) -> Iterator[Seller]:
    """The emulator (SQLite in ``folder``) with a campaign without a notification URL yet, an
    Api-Key, ``keys`` keys in the vault, and ``dbskit store serve`` running for it (given the
    Api-Key unless ``market_access`` is False: then its autopilot puts every job to wait)."""
    with ExitStack() as stack:
        market = targets.start_dbskit(
            data_dir=folder / "market",
            sandbox_token=SANDBOX_TOKEN,
            workers=1,
            settings=market_settings,
        )
        stack.callback(market.stop)
        sandbox = stack.enter_context(sandbox_client(market.base_url))
        made = sandbox.post("/sandbox/campaigns", json={"name": "Keys bench"})
        made.raise_for_status()
        business_id, campaign_id = int(made.json()["businessId"]), int(made.json()["campaignId"])
        issued = sandbox.post(
            "/sandbox/tokens", json={"businessId": business_id, "scopes": ["all-methods"]}
        )
        issued.raise_for_status()
        api_key = str(issued.json()["apiKey"])
        store_args = ["--data-dir", str(folder / "store")]
        if store_database_url:
            store_args += ["--store-database-url", store_database_url]
        if keys:
            import_keys(folder, keys, store_args)
        store_key = api_key if market_access else None
        store = start_store(market.base_url, store_key, business_id, store_args, store_options)
        stack.callback(store.stop)
        yield Seller(market, store, sandbox, business_id, campaign_id, api_key, store_args)


def start_store(
    market_url: str,
    api_key: str | None,
    business_id: int,
    store_args: Sequence[str],
    options: Iterable[str],
) -> servers.Server:
    """``dbskit store serve`` for the Market at ``market_url``; ready when a PING is answered."""
    port = servers.free_port()
    command = [
        sys.executable, "-m", "dbskit", "store", "serve", "--host", servers.HOST,
        "--port", str(port), *store_args, "--store-token", PUSH_TOKEN,
        "--store-market-url", market_url, "--store-business-id", str(business_id), *options,
    ]  # fmt: skip
    if api_key is not None:
        command += ["--store-api-key", api_key]
    # Its POST /cart is ready when GET /cart is 405: the data are loaded, the worker started.
    return servers.start(
        "store", command, port=port, env=child_env(), ready_path="/cart", ready_status=405
    )


def cpu_seconds(*servers_: servers.Server) -> dict[str, float]:
    return {server.name: round(server.cpu_seconds(), 2) for server in servers_}


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def print_json(figures: Mapping[str, Any]) -> None:
    print(json.dumps(figures, indent=2, default=str))
