"""Reading a request body the way the Market does (R-081, R-088, R-089, C-20).

The size limit is counted while reading, so a body without Content-Length (chunked) is cut off
as soon as it passes the limit, and a declared one over it is refused before anything is read.
The whole body must arrive within the body-read timeout (``--body-read-timeout``), else 408.
Only UTF-8 JSON is accepted, and no text value in it may hold the NUL character.

The Partner API gateway reads every call's body first (``read_body_first``), before the call
takes a parallel slot or a transaction; the handler then reads it from memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive

from dbskit.contract import limits
from dbskit.contract.errors import (
    BadRequest,
    Messages,
    RequestTimeout,
    UnsupportedMediaType,
)
from dbskit.contract.validation import bad_request_from, nul_violations

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


def body_timeout(seconds: float) -> RequestTimeout:
    # The rest of the body may still come: the connection is not reused for another request.
    return RequestTimeout(
        Messages.BODY_TIMEOUT.format(seconds=seconds), headers={"Connection": "close"}
    )


class ReplayedBody:
    """A body read already, handed out as one ASGI message; then the connection's own
    ``receive`` (for ``http.disconnect``)."""

    __slots__ = ("_given", "_receive", "body")

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body = body
        self._receive = receive
        self._given = False

    async def __call__(self) -> Message:
        if self._given:
            return await self._receive()
        self._given = True
        return {"type": "http.request", "body": self.body, "more_body": False}


def declared_body(headers: Sequence[tuple[bytes, bytes]]) -> tuple[bool, str | None]:
    """Whether the request has a body (Content-Length or Transfer-Encoding), and its declared
    Content-Length."""
    has_body = False
    declared: str | None = None
    for name, value in headers:
        if name == b"content-length":
            declared = value.decode("latin-1")
            has_body = declared != "0"
        elif name == b"transfer-encoding":
            has_body = True
    return has_body, declared


async def read_body_first(
    headers: Sequence[tuple[bytes, bytes]], receive: Receive, *, within: float
) -> Receive:
    """The request's whole body read now (R-088 limit, ``within`` seconds for all of it), as a
    ``receive`` that hands it out again; ``receive`` itself when the request has no body."""
    has_body, declared = declared_body(headers)
    if not has_body:
        return receive
    return ReplayedBody(await receive_limited(receive, declared, within=within), receive)


async def receive_limited(
    receive: Receive,
    declared: str | None,
    limit: int = limits.REQUEST_BODY_MAX_BYTES,
    *,
    within: float | None = limits.BODY_READ_TIMEOUT.total_seconds(),
) -> bytes:
    """The body, read from the ASGI messages as they come (``declared``: the Content-Length
    header), refused once it passes ``limit`` (R-088) even when it was not declared, or when it
    has not all arrived ``within`` seconds (408; the store's ``/cart`` keeps the default)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big()
    if within is None or isinstance(receive, ReplayedBody):
        return await _receive_all(receive, limit)
    try:
        async with asyncio.timeout(within):
            return await _receive_all(receive, limit)
    except TimeoutError:
        raise body_timeout(within) from None


async def _receive_all(receive: Receive, limit: int) -> bytes:
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
        # Strict: a JSON value must have the schema's type (no true, 1.0 or "1" for an integer,
        # no 1 or "yes" for a boolean); docs/decisions.md, "Parameters and JSON types".
        document = model.model_validate_json(body, strict=True)
    except ValidationError as exc:
        raise bad_request_from(exc) from None
    nul = nul_violations(document, body)
    if nul:
        raise BadRequest(errors=nul)
    return document


async def read_json(
    request: Request, model: type[M], *, strict_content_type: bool | None = None
) -> M:
    """The request body as ``model``, or the Market's 400/415 for what is wrong with it."""
    settings = request.app.state.runtime.settings
    if strict_content_type is None:
        strict_content_type = settings.strict_content_type
    check_content_type(request.headers.get("content-type"), strict=bool(strict_content_type))
    # Straight from the ASGI messages: Starlette's ``Request.stream()`` costs a generator and
    # its state checks on every call, and nothing reads the body again.
    body = await receive_limited(
        request.receive,
        request.headers.get("content-length"),
        within=settings.body_read_timeout,
    )
    return parse_json(body, model)
