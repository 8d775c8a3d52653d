"""The typed client's figures: its own CPU per call, and many tasks against the parallel limit.

``python -m benchmarks.client [--part cpu|parallel] [--rounds N]``

- ``cpu`` (``benchmarks/client_cpu.py``): the client process's CPU per call of ``MarketClient``
  and ``AsyncMarketClient`` against bare httpx sending the same request to a no-op server in the
  same run; the difference is the client's own cost. Set-the-track and getOrder, then a page of
  50 orders of getOrders and of getBusinessOrders (reported separately: reading 50 orders into
  the contract's models is most of it).
- ``parallel`` (``benchmarks/client_parallel.py``): 1,000 deliverDigitalGoods on 1,000 orders from
  one ``AsyncMarketClient`` at 16 tasks, against ``dbskit serve`` with the documented parallel
  limit of 2 and against one with the limit raised; the limited run's time over the raised one's.

Everything runs on loopback and stops by itself; every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from benchmarks import client_cpu, client_parallel

PARTS = ("cpu", "parallel")
TARGET_OWN_US = 40.0  # the client's own CPU per call, set-the-track and getOrder
TARGET_RATIO = 1.3  # limited run over raised run


def report_cpu(args: argparse.Namespace) -> None:
    plan = client_cpu.Plan(rounds=args.rounds, pairs=args.pairs, warmup=args.warmup)
    figures, pieces = client_cpu.run(
        plan,
        calls_per_round=args.calls,
        page_calls=args.page_calls,
        page_orders=client_cpu.PAGE_ORDERS,
    )
    print(
        "client CPU per call, µs (median of rounds; own = client - bare httpx; "
        "quiet = best client batch - best bare batch)",
        flush=True,
    )
    print(
        f"{'operation':<32} {'flavour':<6} {'bare':>8} {'client':>8} {'own':>8} {'quiet':>8}"
        "  rounds' own"
    )
    for figure in figures:
        rounds = ", ".join(f"{own:.1f}" for own in figure.rounds_own_us)
        print(
            f"{figure.operation:<32} {figure.flavour:<6} {figure.bare_us:>8.1f} "
            f"{figure.client_us:>8.1f} {figure.own_us:>8.1f} {figure.quiet_own_us:>8.1f}  {rounds}",
            flush=True,
        )
    print("getOrder's own work, timed alone in process (µs, best of 5):")
    for name, us in pieces.items():
        print(f"  {name:<44} {us:>6.2f}")
    print(f"  {'together':<44} {sum(pieces.values()):>6.2f}", flush=True)


def report_parallel(args: argparse.Namespace) -> None:
    limited: list[client_parallel.Outcome] = []
    raised: list[client_parallel.Outcome] = []
    with (
        client_parallel.served(client_parallel.LIMITED) as (limited_server, limited_token),
        client_parallel.served(client_parallel.RAISED) as (raised_server, raised_token),
    ):
        for number in range(1, args.rounds + 1):
            for name, server, token, outcomes in (
                ("limited", limited_server, limited_token, limited),
                ("raised", raised_server, raised_token, raised),
            ):
                seller = client_parallel.seller(server, token, args.orders)
                outcome = asyncio.run(client_parallel.deliver_all(seller, tasks=args.tasks))
                outcomes.append(outcome)
                print(
                    f"round {number} {name:<8}: {outcome.seconds:.2f} s, {outcome.succeeded} ok, "
                    f"{outcome.limited_420s} × 420 to the caller, {outcome.other_errors} other "
                    f"errors, retries {outcome.retries or 'none'}",
                    flush=True,
                )
    ratios = [a.seconds / b.seconds for a, b in zip(limited, raised, strict=True)]
    print(
        f"median of {args.rounds}: limited {statistics.median(o.seconds for o in limited):.2f} s, "
        f"raised {statistics.median(o.seconds for o in raised):.2f} s, ratio "
        f"{statistics.median(ratios):.2f} (rounds {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"target ≤ {TARGET_RATIO})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.client")
    parser.add_argument("--part", choices=PARTS, action="append", help="(both)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each part (5)")
    parser.add_argument("--calls", type=int, default=4000, help="cpu: calls a round (4,000)")
    parser.add_argument("--page-calls", type=int, default=400, help="cpu: of a page (400)")
    parser.add_argument("--pairs", type=int, default=20, help="cpu: batch pairs a round (20)")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured calls first (100)")
    parser.add_argument("--orders", type=int, default=client_parallel.CALLS, help="(1,000)")
    parser.add_argument("--tasks", type=int, default=client_parallel.TASKS, help="(16)")
    args = parser.parse_args()
    for part in args.part or PARTS:
        if part == "cpu":
            report_cpu(args)
        else:
            report_parallel(args)


if __name__ == "__main__":
    main()
