"""Who may see a page and post a form: a signed-in browser, and for a form its CSRF token.

The session itself is made and judged in ``dbskit.market.sandbox.browser_sessions`` (the
control plane's docs accept it too); here the cabinet asks for it on each request and checks the
form's ``csrf_token`` before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from starlette.requests import Request

from dbskit.cabinet._fields import Fields, NotAForm
from dbskit.clock import wall_clock
from dbskit.market.runtime import Runtime
from dbskit.market.sandbox.browser_sessions import BrowserSession, session_in

PREFIX: Final = "/cabinet"
CSRF_FIELD: Final = "csrf_token"


class NotSignedIn(Exception):
    """No valid session: a page sends the browser to the sign-in form, a form is refused."""


class CsrfRefused(Exception):
    """A form without this session's CSRF token: 403, nothing changed."""


@dataclass(frozen=True, slots=True)
class Visit:
    """A signed-in request: the runtime, the session and the token its forms carry."""

    runtime: Runtime
    session: BrowserSession
    csrf_token: str


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def sandbox_secret(runtime: Runtime) -> str:
    token = runtime.settings.sandbox_token
    return token.get_secret_value() if token is not None else ""


def wall_seconds() -> int:
    """Sessions run on wall time: moving the sandbox clock must not sign anyone out."""
    return int(wall_clock().timestamp())


def signed_in(request: Request) -> Visit:
    runtime = runtime_of(request)
    secret = sandbox_secret(runtime)
    session = session_in(secret, request.scope["headers"], now=wall_seconds())
    if session is None:
        raise NotSignedIn
    return Visit(runtime, session, session.csrf_token(secret))


async def posted_form(request: Request) -> tuple[Visit, Fields]:
    """The signed-in visit and the form's fields, once its CSRF token matched the session's."""
    visit = signed_in(request)
    try:
        fields = await Fields.of_form(request)
    except NotAForm:
        raise CsrfRefused from None  # no form, so no token either
    given = fields.all(CSRF_FIELD)
    secret = sandbox_secret(visit.runtime)
    if len(given) != 1 or not visit.session.csrf_matches(secret, given[0]):
        raise CsrfRefused
    return visit, fields


def is_https(request: Request) -> bool:
    """Whether the page came over https (directly, or through a proxy uvicorn trusts)."""
    return request.url.scheme == "https"
