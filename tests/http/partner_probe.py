"""Probe handlers for every operation, to test the steps around the handler.

They stand in front of the real handlers (whatever those do) so that the tests of the limits and
the query log control what the handler does: echo the body, fail with 400 on ``X-Probe-Fail``, or
wait on a named gate on ``X-Probe-Hold`` until the test opens it. Authentication, scopes, campaign
access, the limits and the query log are the application's own.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI
from starlette.responses import Response

from dbskit.app import create_app
from dbskit.contract.errors import BadRequest
from dbskit.contract.operations import OPERATIONS
from dbskit.market.dispatch import PartnerApi
from dbskit.market.routes._partner import PartnerRequest
from dbskit.settings import Settings


@dataclass
class Gates:
    """Named gates: held requests wait until the test opens their gate."""

    opened: dict[str, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))
    waiting: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def until_waiting(self, name: str, count: int) -> None:
        for _ in range(500):
            if self.waiting[name] >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{count} requests did not reach gate {name!r}")


def install_probe(app: FastAPI) -> Gates:
    """Put the probe handlers in front of ``app``'s own routes (before it starts)."""
    gates = Gates()

    async def probe(partner: PartnerRequest) -> Response:
        request = partner.http
        body = await request.body()
        hold = request.headers.get("x-probe-hold")
        if hold:
            gates.waiting[hold] += 1
            await gates.opened[hold].wait()
        if request.headers.get("x-probe-fail"):
            raise BadRequest("probe failure")
        answer = {"status": "OK", "echo": body.decode()}
        return Response(json.dumps(answer), media_type="application/json")

    partner_api: PartnerApi = app.state.partner_api
    for op in OPERATIONS:
        partner_api.handlers[op.operation_id] = probe
    return gates


@asynccontextmanager
async def probe_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a running application of its own, with the probe handlers installed."""
    app = create_app(settings)
    install_probe(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as http:
            yield http
