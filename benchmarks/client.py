"""The typed client's figures: its own CPU per call, and many tasks against the parallel limit.

``python -m benchmarks.client [--part cpu|parallel] [--rounds N]``

- ``cpu`` (``benchmarks/client_cpu.py``): the CPU per call of ``MarketClient`` and
  ``AsyncMarketClient``, of bare httpx sending the same request, and of bare httpx with the answer
  read into its contract model (the typed floor), taking turns call by call; over loopback
  against a no-op server in the same run, and warm in process against ``httpx.MockTransport``.
  The client's own cost is client - bare. Set-the-track and getOrder, then a page of 50 orders
  of getOrders and of getBusinessOrders (reported separately: reading 50 orders into the
  contract's models is most of it); then the pieces of the client's own work, cold and warm.
- ``parallel`` (``benchmarks/client_parallel.py``): 1,000 deliverDigitalGoods on 1,000 orders from
  one ``AsyncMarketClient`` at 16 tasks, against ``dbskit serve`` with the documented parallel
  limit of 2 and against one with the limit raised; the limited run's time over the raised one's.

Everything runs on loopback (or in process) and stops by itself; every server is stopped at the end.
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
    plan = client_cpu.Plan(rounds=args.rounds, warmup=args.warmup, piece_calls=args.piece_calls)
    results = client_cpu.run(
        plan,
        calls_per_round=args.calls,
        page_calls=args.page_calls,
        page_orders=client_cpu.PAGE_ORDERS,
    )
    for setting in (client_cpu.LOOPBACK, client_cpu.WARM):
        _print_figures(setting, [f for f in results.figures if f.setting == setting], args.rounds)
    # The target is read warm, in process: over loopback every piece of Python after a blocking
    # read runs cold (docs/benchmarks.md, "Client"), and the client is reported beside the floor.
    targeted = [
        f
        for f in results.figures
        if f.setting == client_cpu.WARM and f.operation in client_cpu.TARGET_OPERATIONS
    ]
    verdict = "met" if all(f.own_us < TARGET_OWN_US for f in targeted) else "not met"
    owns = ", ".join(f"{f.operation} {f.flavour} {f.own_us:.1f}" for f in targeted)
    print(f"own < {TARGET_OWN_US:.0f} µs, warm in process: {verdict} ({owns})", flush=True)
    print(
        "pieces of the client's own work, µs: warm = timed alone (timeit, best of 5); "
        "cold = right after a bare getOrder over loopback (median, less an empty piece's)"
    )
    print(f"  {'piece':<44} {'cold':>7} {'warm':>7} {'cold/warm':>9}")
    for name, warm in results.warm_pieces.items():
        cold = results.cold_pieces[name]
        print(f"  {name:<44} {cold:>7.2f} {warm:>7.2f} {cold / warm:>9.1f}")
    cold_sum, warm_sum = sum(results.cold_pieces.values()), sum(results.warm_pieces.values())
    print(f"  {'together':<44} {cold_sum:>7.2f} {warm_sum:>7.2f}", flush=True)


def _print_figures(setting: str, figures: list[client_cpu.Figure], rounds: int) -> None:
    """One table of a setting; own = client - bare, floor = typed floor - bare, beyond = client
    - typed floor."""
    print(
        f"client CPU per call, {setting} (µs of thread CPU: per-call medians, median of {rounds} "
        "rounds)",
        flush=True,
    )
    print(
        f"{'operation':<32} {'flavour':<6} {'bare':>8} {'client':>8} {'own':>7} {'floor':>7} "
        f"{'beyond':>7}  rounds' own"
    )
    for f in figures:
        each = ", ".join(f"{own:.1f}" for own in f.rounds_own_us)
        print(
            f"{f.operation:<32} {f.flavour:<6} {f.bare_us:>8.1f} {f.client_us:>8.1f} "
            f"{f.own_us:>7.1f} {f.floor_us:>7.1f} {f.beyond_floor_us:>7.1f}  {each}",
            flush=True,
        )


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
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each part (3)")
    parser.add_argument(
        "--calls", type=int, default=3000, help="cpu: turns of each side a round (3,000)"
    )
    parser.add_argument("--page-calls", type=int, default=300, help="cpu: of a page (300)")
    parser.add_argument(
        "--piece-calls", type=int, default=2000, help="cpu: turns of each cold piece (2,000)"
    )
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured calls first (200)")
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
