"""The store's routes: thin adapters over ``StoreService``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.cart import CartRequest
from dbskit.contract.errors import ErrorCode, Messages
from dbskit.market.routes._body import check_content_type, parse_json, read_limited
from dbskit.shop.auth import check_push_token
from dbskit.shop.errors import JSON, error_response
from dbskit.shop.loaders import StoreDataError
from dbskit.shop.service import StoreService


def _service(request: Request) -> StoreService:
    service: StoreService = request.app.state.store
    check_push_token(
        service.auth.mode,
        service.auth.token,
        headers=request.headers,
        query=lambda: request.query_params,
    )
    return service


async def cart(request: Request) -> Response:
    """POST /cart (seed:003): token, then the request, then the answer within the deadline."""
    service = _service(request)
    check_content_type(request.headers.get("content-type"), strict=False)
    cart_request = parse_json(await read_limited(request), CartRequest)
    answer = await service.answer(cart_request)
    return Response(answer.model_dump_json(by_alias=True, exclude_none=True), media_type=JSON)


async def reload(request: Request) -> Response:
    """POST /admin/reload: read the store data again; a failure keeps the data in use."""
    service = _service(request)
    try:
        data = await service.reload_in_background()
    except StoreDataError as exc:
        message = Messages.STORE_DATA_INVALID.format(problems=str(exc))
        return error_response(422, ErrorCode.STORE_DATA_INVALID, message)
    return Response(data.summary().model_dump_json(), media_type=JSON)


__all__ = ["cart", "reload"]
