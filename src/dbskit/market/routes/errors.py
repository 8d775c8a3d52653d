"""The only writer of error answers: every failure becomes the R-071 envelope.

Domain and contract errors carry their status and code; framework errors (unknown path, wrong
method, path or query parameters that do not parse) are translated here; anything unexpected is
logged with a request id and answered 500 without internals.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

from dbskit.contract import limits
from dbskit.contract.errors import (
    ApiError,
    BadRequest,
    InternalError,
    Messages,
    MethodNotAllowed,
    NotFound,
)
from dbskit.contract.validation import violations
from dbskit.http_answer import json_answer

log = logging.getLogger("dbskit.errors")


def error_response(error: ApiError) -> Response:
    return json_answer(error.body(), error.status, headers=error.headers)


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


def _not_found(path: str) -> Response:
    return error_response(NotFound(Messages.RESOURCE_NOT_FOUND.format(path=path)))


async def unknown_path(scope: Scope, receive: Receive, send: Send) -> None:
    """The router's answer when no route matches: the 404 envelope, written directly. Starlette's
    default raises an HTTPException for the exception middleware to catch, which costs a raise,
    a handler lookup and a Request object on the most common error answer."""
    if scope["type"] == "websocket":
        await WebSocketClose()(scope, receive, send)
        return
    await _not_found(scope["path"])(scope, receive, send)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return _not_found(request.scope["path"])
    if exc.status_code == 405:
        return _method_not_allowed(request.method, _route_methods(request))
    error = BadRequest(str(exc.detail)) if exc.status_code < 500 else InternalError(str(exc.detail))
    error.status = exc.status_code  # type: ignore[misc]
    return error_response(error)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(BadRequest(errors=violations(exc.errors())))


async def _unexpected(request: Request, exc: Exception) -> Response:
    return unexpected_error_response(request, exc)


def unexpected_error_response(request: Request, exc: Exception) -> Response:
    """The 500 envelope for a failure nobody foresaw: logged with a request id, no internals."""
    request_id = request_id_of(request)
    log.error(
        "unhandled error on %s %s (request id %s)",
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    response = error_response(InternalError(Messages.INTERNAL.format(request_id=request_id)))
    response.headers["X-Request-Id"] = request_id
    return response


def request_id_of(request: Request) -> str:
    """The client's ``X-Request-Id`` when it is 1-128 characters of ``[A-Za-z0-9_.:-]``, else a
    new one: a client's text reaches the answer, its header and the log only when it is safe."""
    given = request.headers.get("x-request-id")
    if given is not None and limits.REQUEST_ID_PATTERN.fullmatch(given):
        return given
    return uuid.uuid4().hex


def no_such_operation(
    method: str, path: str, *, path_exists: bool, allow: Sequence[str] = ()
) -> Response:
    """A Partner API path with no operation: 405 when another method has it (``allow``: the
    methods it has, for the ``Allow`` header), else 404."""
    if path_exists:
        return _method_not_allowed(method, allow)
    return _not_found(path)


def _method_not_allowed(method: str, allow: Sequence[str]) -> Response:
    """405 with ``Allow`` listing the path's methods (RFC 9110 asks for it)."""
    error = MethodNotAllowed(Messages.METHOD_NOT_SUPPORTED.format(method=method))
    if allow:
        error.headers["Allow"] = ", ".join(allow)
    return error_response(error)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")  # RFC 9110, RFC 5789


def _route_methods(request: Request) -> list[str]:
    """Every method some route of the application takes on the request's path (asked of each
    route, whatever router holds it): the router's own 405 names only the first route that
    matched the path."""
    routes = [route for route in request.app.router.routes if isinstance(route, BaseRoute)]
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install_error_handlers(app: FastAPI) -> None:
    app.router.default = unknown_path
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
