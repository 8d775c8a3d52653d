"""Plays the scenarios against a store's ``POST <url>/cart`` the way the Market calls it."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from dbskit.cart_rules.answer import earliest_today
from dbskit.cart_rules.checks import run_checks
from dbskit.cart_rules.findings import UNPARSED, CheckContext, Finding, Outcome
from dbskit.cart_rules.scenario import Auth, Scenario
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


async def check_store(
    target: Target,
    scenarios: list[Scenario],
    *,
    deadline: float = limits.CART_DEADLINE.total_seconds(),
    clock: Clock | None = None,
    outlet_codes: frozenset[str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Run:
    """Play every scenario in turn (as the Market's calls arrive), then check every answer.

    ``outlet_codes``: the outlets registered in the store's data, for the C-17 check.
    """
    timeout = httpx.Timeout(deadline, connect=limits.CART_CONNECT_TIMEOUT.total_seconds())
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
        outcomes = [await _play(client, target, scenario, deadline) for scenario in scenarios]
    elapsed = time.perf_counter() - started
    today = earliest_today((clock or Clock()).now())
    context = CheckContext(deadline=deadline, earliest_today=today, outlet_codes=outlet_codes)
    return Run(outcomes, run_checks(outcomes, context), elapsed)


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
