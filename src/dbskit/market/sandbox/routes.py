"""/sandbox: the control plane a seller uses to drive the emulator (clock, and more to come)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.errors import BadRequest
from dbskit.contract.sandbox import ClockChange, ClockState
from dbskit.market.domain.clock import ClockMovedBackwards
from dbskit.market.routes._body import read_json
from dbskit.market.routes._responses import json_response
from dbskit.market.runtime import Runtime
from dbskit.market.sandbox._guard import require_sandbox_token

router = APIRouter(prefix="/sandbox", dependencies=[Depends(require_sandbox_token)])


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("/clock")
async def get_clock(request: Request) -> Response:
    return json_response(ClockState(now=_runtime(request).clock.now()))


@router.post("/clock")
async def change_clock(request: Request) -> Response:
    runtime = _runtime(request)
    change = await read_json(request, ClockChange)
    try:
        now = await runtime.clock_service.advance(seconds=change.advance_seconds, to=change.now)
    except ClockMovedBackwards as exc:
        raise BadRequest(str(exc)) from None
    return json_response(ClockState(now=now))
