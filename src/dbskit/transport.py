"""The HTTP server's protocol: uvicorn's httptools protocol with dbskit's limits and error bodies.

What is refused before any application sees the request is decided here (docs/decisions.md
"Limits of the HTTP server"):

- a request target over ``REQUEST_TARGET_MAX_BYTES`` is 414;
- a request line and headers over ``REQUEST_HEAD_MAX_BYTES``, or more than
  ``REQUEST_HEADER_FIELDS_MAX`` header fields, is 431;
- a request the parser refuses (a bad request line, a target that is not ASCII, a bad
  ``Content-Length``, a bad header line...) is 400.

Each gets the error body of the application served (``MarketHttpProtocol``: the Market's
envelope; ``StoreHttpProtocol``: the store's), ``Connection: close``, and the connection is closed.
httptools keeps a header line in memory until the line ends, so the bytes of a head that is not
complete yet are counted as they arrive: one endless header line is refused once the bytes pass the
limit, not when memory runs out. uvicorn takes the class by its import string (its public
``http`` option, ``cli.serve.uvicorn_options``), in every worker. It overrides public methods of
uvicorn's protocol only: ``data_received`` (the head's bytes counted around uvicorn's own),
``send_400_response`` (uvicorn's answer to what the parser refuses) and the parser callbacks.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

import httptools
from starlette.responses import Response
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from dbskit.contract import limits
from dbskit.contract.errors import (
    ApiError,
    BadRequest,
    HeaderFieldsTooLarge,
    Messages,
    UriTooLong,
)
from dbskit.market.routes.errors import error_response as market_error_response
from dbskit.market.sandbox.faults_layer import CLOSE_EXTENSION
from dbskit.shop.errors import api_error_response as store_error_response

_HEADER_LINE_OVERHEAD = len(b": \r\n")
_NOT_ASCII = "the request target holds bytes that are not ASCII (percent-encode them)"


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the limits above and error answers in the served
    application's format (``render``)."""

    render: ClassVar[Any]  # Callable[[ApiError], Response], set by each subclass

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_open = True  # the current request's head is not complete yet
        self._head_received = 0  # bytes received while it is not
        self._head_size = 0  # bytes of its target and header lines parsed so far
        self._fields = 0
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._head_open:
            self._head_received += len(data)
        super().data_received(data)  # a parser error comes back through send_400_response
        too_large = self._head_open and self._head_received > limits.REQUEST_HEAD_MAX_BYTES
        if too_large and not self._refused:
            self._refuse(_head_too_large())

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this while it handles the parser's error: the error says why (a limit
        # raised from a callback below, a target that is not ASCII, or the parser's reason).
        error = sys.exc_info()[1]
        if error is None:  # not from the parser: uvicorn's own reason
            self._refuse(BadRequest(Messages.NOT_HTTP.format(reason=msg)))
            return
        self._refuse(_refusal(error))

    # Parser callbacks: a refusal raised here comes back from ``feed_data`` as the context of
    # httptools' callback error.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0
        self._fields = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > limits.REQUEST_TARGET_MAX_BYTES:
            raise UriTooLong(Messages.TARGET_TOO_LONG.format(limit=limits.REQUEST_TARGET_MAX_BYTES))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        if self._fields > limits.REQUEST_HEADER_FIELDS_MAX:
            raise HeaderFieldsTooLarge(
                Messages.TOO_MANY_HEADERS.format(limit=limits.REQUEST_HEADER_FIELDS_MAX)
            )
        self._head_size += len(name) + len(value) + _HEADER_LINE_OVERHEAD
        if len(self.url) + self._head_size > limits.REQUEST_HEAD_MAX_BYTES:
            raise _head_too_large()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_open = False
        self._head_received = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_open = True

    def _refuse(self, error: ApiError) -> None:
        """Answer ``error`` and close the connection; after an answer in progress, only close."""
        self._refused = True
        self.logger.warning("refused before the application: %s %s", error.status, error)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # its answer goes out whole, then the connection ends
            self.transport.pause_reading()
            return
        response: Response = type(self).render(error)
        content = [STATUS_LINE[error.status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        for name, value in response.raw_headers:
            if name != b"connection":
                content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"connection: close\r\n\r\n", bytes(response.body)])
        self.transport.write(b"".join(content))
        self.transport.close()


def _head_too_large() -> HeaderFieldsTooLarge:
    return HeaderFieldsTooLarge(Messages.HEAD_TOO_LARGE.format(limit=limits.REQUEST_HEAD_MAX_BYTES))


def _refusal(error: BaseException) -> ApiError:
    """What a parser error refuses: a limit a callback raised, a target that is not ASCII (a
    callback's UnicodeError), or the parser's own reason."""
    cause = error.__context__ if isinstance(error, httptools.HttpParserCallbackError) else None
    cause = cause or error
    if isinstance(cause, ApiError):
        return cause
    if isinstance(cause, UnicodeError):
        return BadRequest(Messages.NOT_HTTP.format(reason=_NOT_ASCII))
    reason = str(cause) if isinstance(cause, httptools.HttpParserError) else ""
    return BadRequest(Messages.NOT_HTTP.format(reason=reason or "the parser refused it"))


class MarketHttpProtocol(LimitedHttpToolsProtocol):
    """``dbskit serve``: the Market's envelope (R-071); each request's scope can close the
    connection unanswered (the sandbox's dropped-connection fault, ``CLOSE_EXTENSION``)."""

    render = staticmethod(market_error_response)

    def on_headers_complete(self) -> None:
        extensions = self.scope.setdefault("extensions", {})
        extensions[CLOSE_EXTENSION] = {"close": self.transport.close}
        super().on_headers_complete()


class StoreHttpProtocol(LimitedHttpToolsProtocol):
    """``dbskit store serve``: the store's error body (OQ-18)."""

    render = staticmethod(store_error_response)
