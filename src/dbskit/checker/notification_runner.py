"""Sends the probes to a store's ``POST <url>/notification`` the way the Market's sender does.

One at a time, in order, as the Market calls one store URL; each exchange (connect, send,
answer) within the probe's deadline; the attempt judged and named as the outbox records it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from dbskit.checker.notification_probes import Probe
from dbskit.notification_answers import JSON_MEDIA_TYPE, Verdict, judge_answer
from dbskit.notification_failures import transport_failure

_HEADERS = {"Content-Type": JSON_MEDIA_TYPE, "Accept": JSON_MEDIA_TYPE}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One probe sent: the store's answer (``status`` None without one) and the outbox's
    verdict on it."""

    probe: Probe
    verdict: Verdict
    elapsed: float
    status: int | None = None
    content_type: str | None = None
    answer: bytes = b""


@dataclass(frozen=True, slots=True)
class Exchanges:
    url: str  # the endpoint called: <store URL>/notification
    exchanges: tuple[Exchange, ...]
    elapsed: float

    def of(self, probe_name: str) -> Exchange | None:
        return next((e for e in self.exchanges if e.probe.name == probe_name), None)


async def send_probes(
    endpoint: str,
    probes: Sequence[Probe],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Exchanges:
    started = time.perf_counter()
    # As the Market's client: no proxy from the environment, no redirects followed.
    async with httpx.AsyncClient(
        trust_env=False, follow_redirects=False, transport=transport
    ) as client:
        exchanges = [await _send(client, endpoint, probe) for probe in probes]
    return Exchanges(endpoint, tuple(exchanges), time.perf_counter() - started)


async def _send(client: httpx.AsyncClient, endpoint: str, probe: Probe) -> Exchange:
    started = time.perf_counter()
    try:
        # The deadline covers the whole exchange, not each phase as httpx's timeouts do.
        async with asyncio.timeout(probe.deadline):
            response = await client.post(
                endpoint, content=probe.body, headers=_HEADERS, timeout=probe.deadline
            )
    except (httpx.HTTPError, TimeoutError) as exc:
        verdict = transport_failure(exc, probe.deadline)
        return Exchange(probe, verdict, time.perf_counter() - started)
    content_type = response.headers.get("content-type")
    return Exchange(
        probe,
        judge_answer(response.status_code, content_type, response.content),
        time.perf_counter() - started,
        response.status_code,
        content_type,
        response.content,
    )
