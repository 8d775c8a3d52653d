"""/sandbox/faults: rules that make the Partner API answer 420, 500 or 503, drop the connection
or answer late, for chosen calls (``services/faults.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.parameters import IdParameter
from dbskit.contract.sandbox_faults import FaultRuleCreate
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.sandbox._guard import runtime_of

router = APIRouter()  # under /sandbox and its token: included by ``sandbox.routes``

RuleIdParam = Annotated[IdParameter, Path(alias="ruleId")]


@router.post("/faults")
async def add_fault_rule(request: Request) -> Response:
    body = await read_json(request, FaultRuleCreate)
    return json_answer(await runtime_of(request).faults.add(body), status_code=201)


@router.get("/faults")
async def list_fault_rules(request: Request) -> Response:
    return json_answer(await runtime_of(request).faults.listing())


@router.delete("/faults")
async def clear_fault_rules(request: Request) -> Response:
    return json_answer(await runtime_of(request).faults.clear())


@router.delete("/faults/{ruleId}")
async def delete_fault_rule(request: Request, rule_id: RuleIdParam) -> Response:
    return json_answer(await runtime_of(request).faults.clear(rule_id))
