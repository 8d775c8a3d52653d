"""/sandbox: the control plane a seller uses to drive the emulator (clock, outbox, and more)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from dbskit.clock import ClockBeyondLatest, ClockMovedBackwards
from dbskit.contract import limits
from dbskit.contract.errors import BadRequest, Messages
from dbskit.contract.parameters import IdParameter, integer_validator
from dbskit.contract.sandbox import ClockChange, ClockState
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.domain.query_log import InvalidPageToken
from dbskit.market.query_log.reader import page_position, read_requests
from dbskit.market.runtime import Runtime
from dbskit.market.sandbox._guard import require_sandbox_token
from dbskit.market.sandbox.faults import router as faults_router
from dbskit.market.sandbox.reset import router as reset_router
from dbskit.market.sandbox.scenarios import router as scenarios_router
from dbskit.market.services import outbox

# The query log's status filter: a call that got no answer (a push call) is logged with 0;
# an HTTP status has three digits (RFC 9110, section 15).
NO_ANSWER_STATUS = 0
HTTP_STATUS_MAX = 599
OPERATION_ID_MAX = 64  # the query log's operation_id column (storage/tables.py)

router = APIRouter(prefix="/sandbox", dependencies=[Depends(require_sandbox_token)])
router.include_router(reset_router)
router.include_router(faults_router)
router.include_router(scenarios_router)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("/clock")
async def get_clock(request: Request) -> Response:
    return json_answer(ClockState(now=_runtime(request).clock.now()))


@router.post("/clock")
async def change_clock(request: Request) -> Response:
    runtime = _runtime(request)
    change = await read_json(request, ClockChange)
    try:
        advanced = await runtime.clock_service.advance(
            seconds=change.advance_seconds, to=change.now
        )
    except (ClockMovedBackwards, ClockBeyondLatest) as exc:
        raise BadRequest(str(exc)) from None
    return json_answer(advanced)


@router.get("/requests")
async def get_requests(
    request: Request,
    campaign_id: Annotated[IdParameter | None, Query(alias="campaignId")] = None,
    limit: Annotated[
        int, integer_validator(1, limits.QUERY_LOG_PAGE_LIMIT_MAX), Query()
    ] = limits.QUERY_LOG_PAGE_LIMIT_DEFAULT,
    page_token: str | None = Query(None, alias="pageToken"),
    operation_id: Annotated[
        str | None, Query(alias="operationId", min_length=1, max_length=OPERATION_ID_MAX)
    ] = None,
    status: Annotated[
        int | None, integer_validator(NO_ANSWER_STATUS, HTTP_STATUS_MAX), Query()
    ] = None,
    order_id: Annotated[IdParameter | None, Query(alias="orderId")] = None,
) -> Response:
    """The query log (R-111), newest first; ``campaignId``, ``operationId``, ``status`` and
    ``orderId`` narrow it (they combine)."""
    runtime = _runtime(request)
    try:
        after = None if page_token is None else page_position(page_token)
    except InvalidPageToken:
        raise BadRequest(Messages.BAD_PAGE_POSITION.format(value=page_token)) from None
    await runtime.query_log.flush()  # this instance's latest calls are visible at once
    since = runtime.clock.now() - runtime.query_log.retention
    page = await read_requests(
        runtime.log_db,
        since=since,
        limit=limit,
        campaign_id=campaign_id,
        operation_id=operation_id,
        status=status,
        order_id=order_id,
        after=after,
    )
    page.dropped_entries = runtime.query_log.dropped
    return json_answer(page)


@router.get("/outbox")
async def get_outbox(
    request: Request,
    campaign_id: Annotated[IdParameter | None, Query(alias="campaignId")] = None,
    order_id: Annotated[IdParameter | None, Query(alias="orderId")] = None,
) -> Response:
    listing = await outbox.read_outbox(
        _runtime(request).db, campaign_id=campaign_id, order_id=order_id
    )
    return json_answer(listing)
