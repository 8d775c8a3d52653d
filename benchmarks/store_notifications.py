"""How fast ``dbskit store serve`` answers the Market's notifications, beside a bare Starlette
route in the same run, and how a PING fares while the store works through a burst of orders.

    python -m benchmarks.store_notifications [--seconds 30] [--connections 16] [--burst 200]
                                             [--part answers|burst]

- **answers**: wrk at ``connections`` connections for ``seconds`` each against the bare route
  (``GET /``), then the store's ``POST /notification`` with a PING, an ORDER_CREATED of a new
  order every time (recorded and queued: the store's work per notification) and the same
  ORDER_CREATED over and over (a repeat). p50/p99 and the ratio of requests per second to the
  bare route's (target: p99 under 50 ms at 16 connections);
- **ping under a burst**: ``burst`` real DIGITAL orders, their ORDER_CREATED sent to the store
  all at once (as the Market's own notifications, taken from the outbox), while a PING goes every
  20 ms on a connection of its own until every order's keys are at the Market (target: every
  PING answered under 100 ms; the Market allows 1 s).

The store runs against a live emulator, so the jobs its notifications queue do their real work
(read the order, reserve keys, send them) while it answers. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import tempfile
import time
from multiprocessing.queues import Queue as QueueType
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import httpx

from benchmarks import targets
from benchmarks.calls import SEQUENCE_MARKER, Call
from benchmarks.load import LoadResult, run_wrk
from benchmarks.store_seller import (
    OFFER_ID,
    Seller,
    cpu_seconds,
    machine,
    print_json,
    seller,
    summary_ms,
)
from benchmarks.workloads import BARE

ANSWER_P99_TARGET_MS = 50.0  # issue 22
PING_UNDER_LOAD_TARGET_MS = 100.0  # issue 22; the Market's own deadline for a PING is 1 s (C-13)
PING_INTERVAL_SECONDS = 0.02
SENT_AT = "2026-12-07T12:00:00Z"  # notifications' own times; the store reads the order anyway
STALLED_SECONDS = 30.0  # no order got its keys for this long: the rest are counted as lost
JSON = {"Content-Type": "application/json"}


def _notification(body: dict[str, Any], *, sequence: bool = False) -> Call:
    text = json.dumps(body, separators=(",", ":"))
    if sequence:  # every request a new order id: bench.lua writes a fresh number in its place,
        # zero-padded: a leading 9 keeps it a JSON number (and an int64)
        text = text.replace('"@order@"', "9" + SEQUENCE_MARKER)
    return Call("POST", "/notification", 200, JSON, text)


def _workloads(campaign_id: int) -> dict[str, dict[str, Any]]:
    created = {
        "notificationType": "ORDER_CREATED",
        "orderId": "@order@",
        "campaignId": campaign_id,
        "items": [{"offerId": OFFER_ID, "count": 1}],
        "createdAt": SENT_AT,
    }
    repeated = {**created, "orderId": 99_000_000_001}
    return {
        "ping": {"notificationType": "PING", "time": SENT_AT},
        "order_created_new": created,
        "order_created_repeat": repeated,
    }


def _probe_status(base_url: str, call: Call) -> int:
    """The status the store gives this call (a repeat may be 200 or 400 DUPLICATED_EVENT)."""
    body = call.body.replace(SEQUENCE_MARKER, "0" * len(SEQUENCE_MARKER))
    return httpx.post(base_url + call.path, content=body, headers=JSON, timeout=10).status_code


def _row(result: LoadResult, bare: LoadResult | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "rps": round(result.rps, 1),
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "max_ms": result.max_ms,
        "statuses": result.statuses,
        "valid": result.valid,
        "server_cpu_us_per_request": round(result.cpu_us_per_request, 1),
    }
    if bare is not None and bare.rps:
        row["vs_bare_rps"] = round(result.rps / bare.rps, 3)
        if result.p99_ms and bare.p99_ms:
            row["p99_vs_bare"] = round(result.p99_ms / bare.p99_ms, 2)
    return row


def answers(shop: Seller, *, seconds: float, connections: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"connections": connections, "seconds": seconds}
    bare_server = targets.start_bare(workers=1)
    try:
        before = bare_server.cpu_seconds()
        bare = run_wrk(bare_server.base_url, BARE, connections=connections, duration=seconds)
        bare = _with_cpu(bare, bare_server.cpu_seconds() - before)
    finally:
        bare_server.stop()
    figures["bare_get"] = _row(bare, None)
    for name, body in _workloads(shop.campaign_id).items():
        call = _notification(body, sequence=name == "order_created_new")
        status = _probe_status(shop.store.base_url, call)
        call = Call(call.method, call.path, status, call.headers, call.body)
        before = shop.store.cpu_seconds()
        result = run_wrk(shop.store.base_url, call, connections=connections, duration=seconds)
        result = _with_cpu(result, shop.store.cpu_seconds() - before)
        figures[name] = {"status": status, **_row(result, bare)}
        figures[name]["p99_target_ms"] = ANSWER_P99_TARGET_MS
    return figures


def _with_cpu(result: LoadResult, cpu: float) -> LoadResult:
    return dataclasses.replace(result, server_cpu_s=cpu)


def _ping_process(
    store_url: str, ready: EventType, stop: EventType, timings: QueueType[list[float] | str]
) -> None:
    """A PING every ``PING_INTERVAL_SECONDS`` until ``stop`` (``ready`` once the first is
    answered), in a process of its own: timed in the process that sends the burst, a PING's
    answer would wait for that process's own loop, busy with 200 requests, and the figure would
    be the benchmark's rather than the store's."""
    ping = {"notificationType": "PING", "time": SENT_AT}
    found: list[float] = []
    with httpx.Client(base_url=store_url, timeout=10) as http:
        while not stop.is_set():
            started = time.perf_counter()
            answer = http.post("/notification", json=ping)
            found.append(time.perf_counter() - started)
            if answer.status_code != 200:
                timings.put(f"a PING was answered {answer.status_code}: {answer.text}")
                ready.set()
                return
            ready.set()
            stop.wait(PING_INTERVAL_SECONDS)
    timings.put(found)


async def _all_keys_sent(shop: Seller, orders: set[int]) -> tuple[float, list[int]]:
    """Seconds until every order has its keys e-mailed (the outbox holds its e-mail), and the
    orders still without them when none came for ``STALLED_SECONDS``."""
    started = progress_at = time.perf_counter()
    done = 0
    async with httpx.AsyncClient(
        base_url=shop.market.base_url, headers=shop.sandbox.headers, timeout=60
    ) as http:
        while True:
            listing = await http.get("/sandbox/outbox", params={"campaignId": shop.campaign_id})
            emailed = {m["orderId"] for m in listing.json()["messages"] if m["kind"] == "email"}
            now = time.perf_counter()
            if len(orders & emailed) > done:
                done, progress_at = len(orders & emailed), now
            if orders <= emailed or now - progress_at > STALLED_SECONDS:
                return now - started, sorted(orders - emailed)
            await asyncio.sleep(0.5)


async def _send_all(
    shop: Seller, notifications: list[dict[str, Any]]
) -> tuple[list[tuple[int, float]], float]:
    """Every notification at once: each one's status and seconds, and the seconds to the last."""
    limits = httpx.Limits(max_connections=len(notifications))
    async with httpx.AsyncClient(base_url=shop.store.base_url, timeout=30, limits=limits) as http:

        async def send(body: dict[str, Any]) -> tuple[int, float]:
            started = time.perf_counter()
            answer = await http.post("/notification", json=body)
            return answer.status_code, time.perf_counter() - started

        started = time.perf_counter()
        sent = await asyncio.gather(*(send(body) for body in notifications))
        return sent, time.perf_counter() - started


async def _burst(shop: Seller, notifications: list[dict[str, Any]]) -> dict[str, Any]:
    spawn = multiprocessing.get_context("spawn")
    ready, stop, timings = spawn.Event(), spawn.Event(), spawn.Queue()
    pinger = spawn.Process(
        target=_ping_process, args=(shop.store.base_url, ready, stop, timings), daemon=True
    )
    pinger.start()
    try:
        await asyncio.to_thread(ready.wait, 60)
        sent, answered_in = await _send_all(shop, notifications)
        keys_in, lost = await _all_keys_sent(shop, {int(n["orderId"]) for n in notifications})
    finally:
        stop.set()
    pings = await asyncio.to_thread(timings.get, timeout=60)
    await asyncio.to_thread(pinger.join, 60)
    if isinstance(pings, str):
        raise RuntimeError(pings)
    statuses: dict[str, int] = {}
    for status, _ in sent:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "notifications": len(notifications),
        "statuses": statuses,
        "answers": summary_ms([t for _, t in sent]),
        "all_answered_after_s": round(answered_in, 2),
        "all_keys_sent_after_s": None if lost else round(answered_in + keys_in, 2),
        "orders_without_keys": lost,
        "ping": summary_ms(pings),
        "ping_over_target": sum(1 for t in pings if t * 1000 > PING_UNDER_LOAD_TARGET_MS),
        "ping_target_ms": PING_UNDER_LOAD_TARGET_MS,
    }


def ping_under_burst(shop: Seller, burst: int) -> dict[str, Any]:
    """``burst`` orders placed with notifications off, their ORDER_CREATED then sent at once."""
    with httpx.Client(base_url=shop.market.base_url, headers=shop.sandbox.headers) as http:
        orders = {int(shop.place_digital_order(http)["id"]) for _ in range(burst)}
        listing = http.get("/sandbox/outbox", params={"campaignId": shop.campaign_id}).json()
    notifications = [
        m["payload"]
        for m in listing["messages"]
        if m["kind"] == "notification"
        and m["payload"].get("notificationType") == "ORDER_CREATED"
        and m["orderId"] in orders
    ]
    cpu_before = cpu_seconds(shop.market, shop.store)
    figures = asyncio.run(_burst(shop, notifications))
    cpu_after = cpu_seconds(shop.market, shop.store)
    figures["cpu_seconds"] = {k: round(cpu_after[k] - cpu_before[k], 2) for k in cpu_after}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per wrk workload (30)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--burst", type=int, default=200, help="orders in the PING phase (200)")
    parser.add_argument(
        "--part", choices=["answers", "burst"], default=None, help="only this part (both)"
    )
    parser.add_argument(
        "--autopilot",
        choices=["on", "off"],
        default="on",
        help="off: the store gets no Api-Key, so each new order's job is put to wait without "
        "calling the Market (the answers alone); only with --part answers (on)",
    )
    args = parser.parse_args()
    if args.autopilot == "off" and args.part != "answers":
        parser.error("--autopilot off needs --part answers: the burst waits for the keys")
    market_settings = {"DBSKIT_DIGITAL_DELIVERY_DELAY_SECONDS": "0"}
    with (
        tempfile.TemporaryDirectory(prefix="dbskit-store-notifications-") as tmp,
        seller(
            Path(tmp),
            keys=args.burst + 10,
            market_settings=market_settings,
            market_access=args.autopilot == "on",
        ) as shop,
    ):
        figures: dict[str, Any] = {
            "benchmark": "store_notifications",
            "autopilot": args.autopilot,
            "machine": machine(),
        }
        # The burst first: the wrk phase leaves thousands of jobs of unknown orders behind.
        if args.part in (None, "burst"):
            figures["ping_under_burst"] = ping_under_burst(shop, args.burst)
        if args.part in (None, "answers"):
            figures["answers"] = answers(shop, seconds=args.seconds, connections=args.connections)
        figures["machine_after"] = machine()
    print_json(figures)


if __name__ == "__main__":
    main()
