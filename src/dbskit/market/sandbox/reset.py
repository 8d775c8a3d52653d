"""/sandbox/reset: start over, everything or one campaign, keeping campaigns and keys
(``services/reset.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.sandbox_reset import ResetRequest
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.sandbox._guard import runtime_of

router = APIRouter()  # under /sandbox and its token: included by ``sandbox.routes``


@router.post("/reset")
async def reset_sandbox(request: Request) -> Response:
    """A call without a body resets everything, as ``{}`` does."""
    body = await read_json(request, ResetRequest) if _has_body(request) else ResetRequest()
    done = await runtime_of(request).resets.reset(campaign_id=body.campaign_id)
    return json_answer(done)


def _has_body(request: Request) -> bool:
    headers = request.headers
    return "transfer-encoding" in headers or headers.get("content-length", "0") != "0"
