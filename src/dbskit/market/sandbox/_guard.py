"""The Sandbox-Token check: the control plane is not the Market and has its own secret.

``SandboxGate`` asks for the token before routing, so a caller without it learns nothing of the
control plane's shape: every method on every path under ``/sandbox`` (paths and methods that do
not exist included) is the same 401. ``require_sandbox_token`` makes the same check as a
dependency of each sandbox router. A browser signed in at ``/sandbox/docs`` shows a session
cookie instead (``_session.py``); one signed in to the cabinet may read the docs page, its files
and the OpenAPI document with its cabinet session (``browser_sessions.py``). A header, when there
is one, is judged alone.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from pydantic import SecretStr
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from dbskit.clock import wall_clock
from dbskit.contract.errors import ApiError, Messages, Unauthorized
from dbskit.market.paths import SANDBOX_ROOT, is_sandbox_path
from dbskit.market.routes.errors import error_response
from dbskit.market.runtime import Runtime
from dbskit.market.sandbox._session import DOCS_PATH, docs_sign_in, has_session
from dbskit.market.sandbox.browser_sessions import session_in

HEADER = "Sandbox-Token"
_HEADER_NAME = HEADER.lower().encode("latin-1")  # ASGI servers give header names in lower case
# What a cabinet session may read under /sandbox: the docs page, its files, the document.
_DOCS_READS = frozenset({DOCS_PATH, SANDBOX_ROOT + "/openapi.json"})
_DOCS_ASSETS = DOCS_PATH + "/assets/"


def check_sandbox_token(expected: SecretStr | None, headers: Sequence[tuple[bytes, bytes]]) -> None:
    """One ``Sandbox-Token`` header equal to the configured token, else 401.

    An empty or blank configured token opens nothing (``serve`` refuses to start with one), an
    empty header never matches, and a header sent twice is refused whatever its values.
    """
    given: bytes | None = None
    for name, value in headers:
        if name == _HEADER_NAME:
            if given is not None:
                raise Unauthorized(Messages.CREDENTIAL_HEADER_REPEATED.format(header=HEADER))
            given = value
    secret = expected.get_secret_value() if expected is not None else ""
    if given is None and secret.strip() and has_session(secret, headers):
        return  # a browser signed in at /sandbox/docs (_session.py)
    if not secret.strip() or not given:
        raise Unauthorized(Messages.SANDBOX_TOKEN)
    if not hmac.compare_digest(given, secret.encode()):
        raise Unauthorized(Messages.SANDBOX_TOKEN)


class SandboxGate:
    """Every request under ``/sandbox`` shows the Sandbox-Token before it is routed."""

    def __init__(self, app: ASGIApp, *, token: SecretStr | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and is_sandbox_path(scope["path"]):
            if self._signing_in(scope) or cabinet_reads_docs(self.token, scope):
                await self.app(scope, receive, send)
                return
            try:
                check_sandbox_token(self.token, scope["headers"])
            except ApiError as error:
                if scope["type"] == "websocket":
                    await WebSocketClose()(scope, receive, send)
                else:
                    await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _signing_in(self, scope: Scope) -> bool:
        secret = self.token.get_secret_value() if self.token is not None else ""
        return (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and docs_sign_in(secret, scope["path"], scope["query_string"])
        )


def cabinet_reads_docs(token: SecretStr | None, scope: Scope) -> bool:
    """A GET of the docs page, its files or the OpenAPI document, without a Sandbox-Token
    header, from a browser signed in to the cabinet. Only these: the rest of the control plane
    takes JSON bodies without a CSRF token, so it keeps asking for the token itself."""
    path = scope["path"]
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    if path not in _DOCS_READS and not path.startswith(_DOCS_ASSETS):
        return False
    headers = scope["headers"]
    if any(name == _HEADER_NAME for name, _ in headers):
        return False  # a header is judged alone
    secret = token.get_secret_value() if token is not None else ""
    now = int(wall_clock().timestamp())
    return session_in(secret, headers, now=now) is not None


def require_sandbox_token(request: Request) -> None:
    token = request.app.state.runtime.settings.sandbox_token
    if cabinet_reads_docs(token, request.scope):
        return
    check_sandbox_token(token, request.scope["headers"])


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
