"""The store's routes: thin adapters over ``StoreService``.

``POST /cart`` is a plain ASGI app (``CartEndpoint``): the Market calls it for every basket
shown, so it reads the headers and the body straight from the ASGI messages, without
Starlette's request object, and answers with ``http_answer.json_answer`` like every route. It
answers exactly as a Starlette route with the store's exception handlers would.
"""

from __future__ import annotations

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from dbskit.contract.cart import CartAnswer, CartRequest
from dbskit.contract.errors import ErrorCode, Messages
from dbskit.http_answer import json_answer
from dbskit.http_body import check_content_type, parse_json, receive_limited
from dbskit.push_token import check_push_token
from dbskit.shop.errors import error_response, handler_for
from dbskit.shop.service import StoreService
from dbskit.store_data.loaders import StoreDataError


def _authorised(service: StoreService, scope: Scope, headers: Headers) -> None:
    check_push_token(
        service.auth.mode,
        service.auth.token,
        headers=headers,
        query=lambda: QueryParams(scope["query_string"]),
    )


class CartEndpoint:
    """POST /cart (seed:003): token, then the request, then the answer within the deadline."""

    def __init__(self, service: StoreService) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            answer = await self._answer(scope, receive)
        except Exception as exc:
            handler = handler_for(exc)
            if handler is None:
                raise  # the error middleware's logged 500
            response = await handler(Request(scope, receive, send), exc)
            await response(scope, receive, send)
            exc.__traceback__ = None  # as Starlette does: no traceback kept across requests
            return
        await json_answer(answer)(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> CartAnswer:
        service = self.service
        headers = Headers(scope=scope)
        _authorised(service, scope, headers)
        check_content_type(headers.get("content-type"), strict=False)
        body = await receive_limited(receive, headers.get("content-length"))
        return await service.answer(parse_json(body, CartRequest))


async def reload(request: Request) -> Response:
    """POST /admin/reload: read the store data again; a failure keeps the data in use."""
    service: StoreService = request.app.state.store
    _authorised(service, request.scope, request.headers)
    try:
        data = await service.reload_in_background()
    except StoreDataError as exc:
        message = Messages.STORE_DATA_INVALID.format(problems=str(exc))
        return error_response(422, ErrorCode.STORE_DATA_INVALID, message)
    return json_answer(data.summary())


__all__ = ["CartEndpoint", "reload"]
