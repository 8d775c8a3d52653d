"""Plays the scenarios against a store's ``POST <url>/cart`` the way the Market calls it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from dbskit.cart_rules.answer import earliest_today
from dbskit.cart_rules.checks import CHECKS, Check
from dbskit.cart_rules.findings import UNPARSED, CheckContext, Finding, Outcome
from dbskit.cart_rules.scenario import Auth, Scenario
from dbskit.checker.pace import DEFAULT_CONCURRENCY, PROGRESS_EVERY
from dbskit.clock import Clock
from dbskit.contract import limits
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.push_token import TOKEN_PARAMETER

# A token no store would have issued, for the R-039 probe.
WRONG_TOKEN = "dbskit-check-wrong-token"  # noqa: S105 - deliberately wrong


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # the store's base URL; the checker calls <url>/cart
    token: str
    auth_mode: PushAuthMode = PushAuthMode.HEADER

    @property
    def cart_url(self) -> str:
        return self.url.rstrip("/") + "/cart"


@dataclass(frozen=True, slots=True)
class Run:
    outcomes: list[Outcome]
    findings: list[Finding]
    elapsed: float
    checks: tuple[Check, ...] = CHECKS  # what every answer was checked with


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a run has got: ``done`` of ``total`` calls, ``unanswered`` of them without an
    answer (timed out or refused a connection), ``elapsed`` seconds since it began."""

    done: int
    total: int
    unanswered: int
    elapsed: float


ProgressSink = Callable[[Progress], None]


class _Tally:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.unanswered = 0
        self.started = time.perf_counter()

    def record(self, outcome: Outcome) -> None:
        self.done += 1
        self.unanswered += outcome.status is None

    def progress(self) -> Progress:
        elapsed = time.perf_counter() - self.started
        return Progress(self.done, self.total, self.unanswered, elapsed)


async def _report_every(tally: _Tally, sink: ProgressSink, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        sink(tally.progress())


async def check_store(
    target: Target,
    scenarios: list[Scenario],
    *,
    deadline: float = limits.CART_DEADLINE.total_seconds(),
    clock: Clock | None = None,
    outlet_codes: frozenset[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    checks: tuple[Check, ...] = CHECKS,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressSink | None = None,
    progress_every: float = PROGRESS_EVERY,
) -> Run:
    """Play the scenarios, ``concurrency`` at a time (as the Market's calls arrive), then check
    every answer with ``checks``.

    ``outlet_codes``: the outlets registered in the store's data, for the C-17 check.
    ``progress`` is told how far the run has got every ``progress_every`` seconds until it ends.
    """
    timeout = httpx.Timeout(deadline, connect=limits.CART_CONNECT_TIMEOUT.total_seconds())
    tally = _Tally(len(scenarios))
    gate = asyncio.Semaphore(concurrency)

    async def play(client: httpx.AsyncClient, scenario: Scenario) -> Outcome:
        async with gate:
            outcome = await _play(client, target, scenario, deadline)
        tally.record(outcome)
        return outcome

    async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
        reporter = (
            asyncio.create_task(_report_every(tally, progress, progress_every))
            if progress is not None
            else None
        )
        try:
            outcomes = list(await asyncio.gather(*(play(client, s) for s in scenarios)))
        finally:
            if reporter is not None:
                reporter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reporter
    elapsed = time.perf_counter() - tally.started
    today = earliest_today((clock or Clock()).now())
    context = CheckContext(deadline=deadline, earliest_today=today, outlet_codes=outlet_codes)
    findings = [
        finding
        for outcome in outcomes
        for check in checks
        for finding in check.findings(outcome, context)
    ]
    return Run(outcomes, findings, elapsed, checks)


async def _play(
    client: httpx.AsyncClient, target: Target, scenario: Scenario, deadline: float
) -> Outcome:
    headers = {"Content-Type": "application/json"}
    params: dict[str, str] = {}
    token = {Auth.GOOD: target.token, Auth.WRONG: WRONG_TOKEN, Auth.MISSING: None}[scenario.auth]
    if token is not None and target.auth_mode is PushAuthMode.URL:
        params[TOKEN_PARAMETER] = token
    elif token is not None:
        headers["Authorization"] = token
    body = json.dumps(scenario.body, ensure_ascii=False).encode()
    started = time.perf_counter()
    try:
        # The deadline covers the whole exchange, whatever the transport enforces.
        response = await asyncio.wait_for(
            client.post(target.cart_url, content=body, headers=headers, params=params), deadline
        )
    except (TimeoutError, httpx.TimeoutException):
        elapsed = time.perf_counter() - started
        return Outcome(scenario, None, None, UNPARSED, elapsed, "timed out", timed_out=True)
    except httpx.HTTPError as exc:
        elapsed = time.perf_counter() - started
        return Outcome(scenario, None, None, UNPARSED, elapsed, f"{type(exc).__name__}: {exc}")
    elapsed = time.perf_counter() - started
    return Outcome(
        scenario,
        response.status_code,
        response.headers.get("content-type"),
        _parse(response.content),
        elapsed,
    )


def _parse(content: bytes) -> Any:
    try:
        return json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return UNPARSED
