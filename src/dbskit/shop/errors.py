"""The only writer of the store's error answers: ``{"error": {"code", "message"}}`` (OQ-18).

400 when the Market's request cannot be accepted (R-067), 403 for the push token (R-039), 500
for a failure of the store (R-068) — without internals, with a request id in the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from dbskit.contract.cart import StoreError, StoreErrorBody
from dbskit.contract.errors import (
    ApiError,
    ErrorCode,
    InternalError,
    Messages,
    MethodNotAllowed,
    NotFound,
)
from dbskit.http_answer import json_answer
from dbskit.shop.deadline import DeadlineMissed

log = logging.getLogger("dbskit.store")


def error_response(status: int, code: str, message: str) -> Response:
    body = StoreErrorBody(error=StoreError(code=code, message=message))
    return json_answer(body, status)


def api_error_response(error: ApiError) -> Response:
    code = error.errors[0].code if error.errors else error.default_code
    message = "; ".join(detail.message for detail in error.errors)
    return error_response(error.status, code, message)


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return api_error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        method = Messages.METHOD_NOT_SUPPORTED.format(method=request.method)
        return api_error_response(MethodNotAllowed(method))
    if exc.status_code == 404:
        path = Messages.RESOURCE_NOT_FOUND.format(path=request.url.path)
        return api_error_response(NotFound(path))
    return error_response(exc.status_code, ErrorCode.BAD_REQUEST, str(exc.detail))


async def _late(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DeadlineMissed)
    log.error("/cart answer not ready within the guard's budget and none remembered")
    return error_response(500, ErrorCode.DEADLINE_EXCEEDED, Messages.CART_LATE)


async def _unexpected(request: Request, exc: Exception) -> Response:
    request_id = uuid.uuid4().hex
    log.error(
        "store failure on %s %s (request id %s)",
        request.method,
        request.url.path,
        request_id,
        exc_info=exc,
    )
    error = InternalError(Messages.STORE_INTERNAL.format(request_id=request_id))
    return api_error_response(error)


Handler = Callable[[Request, Exception], Awaitable[Response]]

# What Starlette's exception middleware answers. The rest (``Exception``) is for its outermost
# error middleware, which also re-raises for the server's log.
_HANDLED: dict[type[Exception], Handler] = {
    ApiError: _api_error,
    HTTPException: _http_error,
    DeadlineMissed: _late,
}

EXCEPTION_HANDLERS: dict[type[Exception] | int, ExceptionHandler] = {
    key: handler for key, handler in _HANDLED.items()
}
EXCEPTION_HANDLERS[Exception] = _unexpected


def handler_for(exc: Exception) -> Handler | None:
    """The handler Starlette's exception middleware would pick for ``exc`` (nearest class)."""
    for cls in type(exc).__mro__:
        handler = _HANDLED.get(cls)
        if handler is not None:
            return handler
    return None
