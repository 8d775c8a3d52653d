"""The Sandbox-Token check: the control plane is not the Market and has its own secret."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from dbskit.contract.errors import Messages, Unauthorized
from dbskit.market.runtime import Runtime

HEADER = "Sandbox-Token"


def require_sandbox_token(request: Request) -> None:
    expected = request.app.state.runtime.settings.sandbox_token
    given = request.headers.get(HEADER)
    if expected is None or given is None:
        raise Unauthorized(Messages.SANDBOX_TOKEN)
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise Unauthorized(Messages.SANDBOX_TOKEN)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
