"""The runtime's HTTP client for the Market's calls to stores (API notifications, pushes).

One client per runtime, made on first use — a Market that never calls a store does not pay for
importing httpx at start-up — and closed when the runtime stops. It ignores proxy variables: the
stores it calls are the ones the sandbox was told about. ``transport_failure`` names a call that
got no answer in the classes of the Market's logs.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from dbskit.contract.notifications import DeliveryErrorSubtype, DeliveryErrorType
from dbskit.market.domain.notification_delivery import Verdict

if TYPE_CHECKING:
    import httpx


class OutboundHttp:
    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client: httpx.AsyncClient | None = None
        self._transport = transport  # tests route the calls to an app in the same process

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                trust_env=False, follow_redirects=False, transport=self._transport
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def transport_failure(exc: Exception, timeout: float, connect: float | None = None) -> Verdict:
    """The log class of a call that got no answer (``timeout``: the deadline it was given;
    ``connect``: the time the connection had to open, the whole deadline when None)."""
    import httpx

    cant = DeliveryErrorType.CANT_GET_RESPONSE
    if isinstance(exc, httpx.ConnectTimeout):
        opening = timeout if connect is None else connect
        return Verdict.failed(
            cant, DeliveryErrorSubtype.CONNECTION_TIMED_OUT, f"No connection within {opening} s"
        )
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return Verdict.failed(
            cant, DeliveryErrorSubtype.READ_TIMED_OUT, f"No answer within {timeout} s"
        )
    if isinstance(exc, httpx.ConnectError):
        if _caused_by_ssl(exc):
            return Verdict.failed(cant, DeliveryErrorSubtype.SSL_ERROR, str(exc) or "TLS failed")
        return Verdict.failed(
            cant, DeliveryErrorSubtype.CONNECTION_REFUSED, str(exc) or "Connection refused"
        )
    return Verdict.failed(
        DeliveryErrorType.INVALID_RESPONSE,
        DeliveryErrorSubtype.CANT_PARSE_RESPONSE,
        f"{exc.__class__.__name__}: {exc}".rstrip(": "),
    )


def _caused_by_ssl(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
