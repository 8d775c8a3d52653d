"""A stand-in for the Partner API gateway and handlers, to test the limits and the query log.

``StandInGateway`` does what the gateway does for the layers after it: it fills the scope's
``PartnerCall`` with the operation and campaign from the path and, when an ``Api-Key`` is given,
the token and its business (``X-Probe-Business``). Probe handlers on every operation's path echo
the body, fail with 400 on ``X-Probe-Fail``, and wait on a named gate on ``X-Probe-Hold``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from dbskit.contract.errors import BadRequest
from dbskit.contract.operations import OPERATIONS
from dbskit.market.call import partner_call
from dbskit.market.limits.middleware import PartnerApiLimits

_ROUTES = [
    (
        op.operation_id,
        op.method,
        re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", op.path) + "$"),
    )
    for op in OPERATIONS
]


class StandInGateway:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call = partner_call(scope)
        if call is not None:
            for operation_id, method, pattern in _ROUTES:
                match = pattern.match(scope["path"])
                if match and method == scope["method"]:
                    call.operation_id = operation_id
                    campaign = match.groupdict().get("campaignId")
                    call.campaign_id = int(campaign) if campaign else None
            headers = dict(scope["headers"])
            if b"api-key" in headers:
                call.token_key = headers[b"api-key"].decode()
                call.business_id = int(headers.get(b"x-probe-business", b"1"))
        await self.app(scope, receive, send)


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
    """Add the probe handlers and the stand-in gateway (just outside the limits) to ``app``."""
    gates = Gates()

    async def probe(request: Request) -> Response:
        body = await request.body()
        hold = request.headers.get("x-probe-hold")
        if hold:
            gates.waiting[hold] += 1
            await gates.opened[hold].wait()
        if request.headers.get("x-probe-fail"):
            raise BadRequest("probe failure")
        answer = {"status": "OK", "echo": body.decode()}
        return Response(json.dumps(answer), media_type="application/json")

    for op in OPERATIONS:
        app.add_api_route(op.path, probe, methods=[op.method])
    position = next(i for i, m in enumerate(app.user_middleware) if m.cls is PartnerApiLimits)
    app.user_middleware.insert(position, Middleware(StandInGateway))
    return gates
