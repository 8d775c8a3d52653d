"""create_cabinet_app(runtime): the cabinet's pages at /cabinet, wiring only.

Every page needs a signed-in browser (``_auth.py``), every form its CSRF token; every answer
carries the Content-Security-Policy (``_headers.py``). A bad parameter or field is a 400 page
naming it, an error of the Market's services a page with its status and message.
"""

from __future__ import annotations

from typing import Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dbskit.cabinet._auth import PREFIX, CsrfRefused, NotSignedIn, signed_in
from dbskit.cabinet._headers import SecurityHeaders
from dbskit.cabinet._render import page
from dbskit.cabinet._static import static_file
from dbskit.cabinet.campaigns import routes as campaign_routes
from dbskit.cabinet.order_page import routes as order_routes
from dbskit.cabinet.orders import routes as order_list_routes
from dbskit.cabinet.outbox import routes as outbox_routes
from dbskit.cabinet.query_log import routes as query_log_routes
from dbskit.cabinet.sandbox_page import routes as sandbox_routes
from dbskit.cabinet.sign_in import HOME_PATH, SIGN_IN_PATH
from dbskit.cabinet.sign_in import routes as sign_in_routes
from dbskit.contract.errors import ApiError
from dbskit.market.runtime import Runtime

CSRF_REFUSED: Final = (
    "The form's CSRF token is missing or wrong, so nothing was changed. Reload the page and "
    "send the form again."
)
SERVER_ERROR: Final = "The cabinet could not show this page; the server's log has the cause."
HEADINGS: Final = {
    400: "Bad request",
    401: "Sign in first",
    403: "Refused",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported form",
    500: "Server error",
}


def problem_page(request: Request, status: int, messages: list[str]) -> Response:
    try:
        visit = signed_in(request)
    except NotSignedIn:
        visit = None
    context = {
        "signed_in": visit is not None,
        "section": "",
        "csrf_token": visit.csrf_token if visit else "",
        "now": visit.runtime.clock.now() if visit else None,
        "notice": None,
        "heading": HEADINGS.get(status, "Error"),
        "messages": messages,
    }
    return page("problem.html", context, status_code=status)


async def _not_signed_in(request: Request, _exc: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    return problem_page(request, 401, ["Sign in to the cabinet first: nothing was changed."])


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    return problem_page(request, 403, [CSRF_REFUSED])


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return problem_page(request, exc.status, [error.message for error in exc.errors])


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = "No such page." if exc.status_code == 404 else str(exc.detail)
    response = problem_page(request, exc.status_code, [detail])
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _server_error(request: Request, _exc: Exception) -> Response:
    return problem_page(request, 500, [SERVER_ERROR])


async def _home(request: Request) -> Response:
    return RedirectResponse(HOME_PATH, status_code=303)


def create_cabinet_app(runtime: Runtime) -> Starlette:
    """The cabinet, to be mounted at ``PREFIX`` on the app that runs ``runtime``."""
    app = Starlette(
        routes=[
            Route("/", _home, methods=["GET"]),
            Route("/static/{name}", static_file, methods=["GET"]),
            *sign_in_routes,
            *order_list_routes,
            *order_routes,
            *query_log_routes,
            *outbox_routes,
            *campaign_routes,
            *sandbox_routes,
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            NotSignedIn: _not_signed_in,
            CsrfRefused: _csrf_refused,
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.runtime = runtime
    return app


__all__ = ["PREFIX", "create_cabinet_app"]
