"""Reading a request body the way the Market does (R-081, R-088, R-089, C-20).

The size limit is counted while reading, so a body without Content-Length (chunked) is cut off
as soon as it passes the limit. Only UTF-8 JSON is accepted.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from dbskit.contract import limits
from dbskit.contract.errors import BadRequest, Messages, UnsupportedMediaType
from dbskit.contract.validation import bad_request_from

M = TypeVar("M", bound=BaseModel)

_JSON_TYPES = frozenset({"application/json", "text/json"})


def check_content_type(content_type: str | None, *, strict: bool) -> None:
    if content_type is None or not content_type.strip():
        if strict:
            raise UnsupportedMediaType(Messages.MISSING_CONTENT_TYPE)
        return  # C-20: the Market detects the format itself; we parse JSON
    media_type = content_type.split(";", 1)[0].strip().lower()
    if "/" not in media_type:
        raise UnsupportedMediaType(Messages.UNKNOWN_CONTENT_TYPE.format(content_type=content_type))
    if media_type not in _JSON_TYPES and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            Messages.CONTENT_TYPE_NOT_SUPPORTED.format(content_type=content_type)
        )


def too_big() -> BadRequest:
    return BadRequest(Messages.REQUEST_TOO_BIG.format(limit=limits.REQUEST_BODY_MAX_BYTES))


async def receive_limited(
    receive: Receive, declared: str | None, limit: int = limits.REQUEST_BODY_MAX_BYTES
) -> bytes:
    """The body, read from the ASGI messages as they come (``declared``: the Content-Length
    header), refused once it passes ``limit`` (R-088) even when it was not declared."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big()
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise too_big()
                chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif kind == "http.disconnect":
            raise ClientDisconnect


def check_utf8(body: bytes) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1]
        raise BadRequest(
            Messages.UNEXPECTED_CHARACTER.format(character=f"0x{bad.hex().upper()}")
        ) from None


def parse_json(body: bytes, model: type[M]) -> M:
    if not body.strip():
        raise BadRequest(Messages.UNEXPECTED_END)
    check_utf8(body)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise bad_request_from(exc) from None


async def read_json(
    request: Request, model: type[M], *, strict_content_type: bool | None = None
) -> M:
    """The request body as ``model``, or the Market's 400/415 for what is wrong with it."""
    if strict_content_type is None:
        strict_content_type = request.app.state.runtime.settings.strict_content_type
    check_content_type(request.headers.get("content-type"), strict=bool(strict_content_type))
    # Straight from the ASGI messages: Starlette's ``Request.stream()`` costs a generator and
    # its state checks on every call, and nothing reads the body again.
    body = await receive_limited(request.receive, request.headers.get("content-length"))
    return parse_json(body, model)
