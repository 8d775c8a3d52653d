"""``GET /healthz``: 200 when the database and Redis answer, 503 when one does not.

No token: a load balancer or an orchestrator probes it, and the answer names only the states of
the dependencies (docs/decisions.md, "Health check").
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.health import DependencyState, Health
from dbskit.http_answer import json_answer
from dbskit.market.paths import HEALTH_PATH
from dbskit.market.runtime import Runtime
from dbskit.market.services.health import check_health

router = APIRouter()


# HEAD too: some probes ask with it.
@router.api_route(
    HEALTH_PATH, methods=["GET", "HEAD"], response_model=Health, include_in_schema=False
)
async def healthz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    health = await check_health(
        db=runtime.db, log_db=runtime.log_db, redis_url=runtime.settings.redis_url
    )
    status = 200 if health.status is DependencyState.UP else 503
    return json_answer(health, status_code=status)
