"""/sandbox/scenarios: a whole sandbox set-up from one file (``services/scenarios.py``).

The body is YAML (``application/yaml``, ``text/yaml``), JSON (``application/json``) or TOML
(``application/toml``), within the same size limit and read timeout as every /sandbox body.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.errors import Messages, UnsupportedMediaType
from dbskit.contract.sandbox_scenarios import Scenario, ScenarioLoaded
from dbskit.http_answer import json_answer
from dbskit.http_body import receive_limited
from dbskit.market.domain.scenario_files import ScenarioFormat, read_scenario
from dbskit.market.sandbox._guard import runtime_of
from dbskit.market.services.scenarios import OrderPlacing, ScenarioService

router = APIRouter()  # under /sandbox and its token: included by ``sandbox.routes``

FORMATS: Final = {
    "application/yaml": ScenarioFormat.YAML,
    "application/x-yaml": ScenarioFormat.YAML,
    "text/yaml": ScenarioFormat.YAML,
    "text/x-yaml": ScenarioFormat.YAML,
    "application/json": ScenarioFormat.JSON,
    "text/json": ScenarioFormat.JSON,
    "application/toml": ScenarioFormat.TOML,
}


def scenario_format(content_type: str | None, *, strict: bool) -> ScenarioFormat:
    """The body's format from its Content-Type; none given is YAML (which reads JSON too),
    unless ``--strict-content-type`` asks for one (415, as for every body)."""
    if content_type is None or not content_type.strip():
        if strict:
            raise UnsupportedMediaType(Messages.MISSING_CONTENT_TYPE)
        return ScenarioFormat.YAML
    media_type = content_type.split(";", 1)[0].strip().lower()
    if "/" not in media_type:
        raise UnsupportedMediaType(Messages.UNKNOWN_CONTENT_TYPE.format(content_type=content_type))
    if media_type.endswith("+json"):
        return ScenarioFormat.JSON
    found = FORMATS.get(media_type)
    if found is None:
        raise UnsupportedMediaType(
            Messages.CONTENT_TYPE_NOT_SUPPORTED.format(content_type=content_type)
        )
    return found


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """The schema with every ``$ref`` replaced by its definition (none of these models refers to
    itself), so that the OpenAPI document needs no components of its own for it."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return _inlined(defs[ref.rsplit("/", 1)[-1]], defs)
        return {key: _inlined(value, defs) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    return schema


def _body_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(by_alias=True)
    inlined = _inlined(schema, schema.get("$defs", {}))
    content = {media_type: {"schema": inlined} for media_type in FORMATS}
    return {"requestBody": {"required": True, "content": content}}


@router.post("/scenarios", response_model=ScenarioLoaded, openapi_extra=_body_schema())
async def load_scenario(request: Request) -> Response:
    """Make every entry of the file, or nothing; answers what each name stands for."""
    runtime = runtime_of(request)
    settings = runtime.settings
    fmt = scenario_format(
        request.headers.get("content-type"), strict=bool(settings.strict_content_type)
    )
    body = await receive_limited(
        request.receive,
        request.headers.get("content-length"),
        within=settings.body_read_timeout,
    )
    scenario = read_scenario(body, fmt)
    service = ScenarioService(db=runtime.db, clock=runtime.clock, scheduler=runtime.scheduler)
    loaded = await service.load(
        scenario,
        placing=OrderPlacing(
            retention=timedelta(days=settings.test_order_retention_days),
            profile=settings.profile,
        ),
    )
    return json_answer(loaded, status_code=201)
