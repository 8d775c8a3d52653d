"""The runtime's HTTP client for the Market's calls to stores (API notifications, pushes).

One client per runtime, made on first use — a Market that never calls a store does not pay for
importing httpx at start-up — and closed when the runtime stops. It ignores proxy variables: the
stores it calls are the ones the sandbox was told about. ``transport_failure`` names a call that
got no answer in the classes of the Market's logs.

``refused_connection`` opens a TCP connection to a store on this machine that refused the last
attempt, before the client does: a store still not running refuses it at once, and that costs
about 50 µs this way against 350–550 µs through httpx, which builds the request, takes a
connection from its pool and maps the error on the way. A notification to a stopped store is
tried about 150 times in its first day (R-116).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from dbskit.contract.notifications import DeliveryErrorSubtype, DeliveryErrorType
from dbskit.hosts import is_loopback_host
from dbskit.market.domain.notification_delivery import Verdict

REFUSED = "Connection refused by {host}:{port}"
NO_CONNECTION = "No connection within {seconds} s"
_DEFAULT_PORTS = {"http": 80, "https": 443}

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


def loopback_address(url: str) -> tuple[str, int] | None:
    """The host and port a URL to this machine connects to; None for any other host."""
    parts = urlsplit(url)
    host = parts.hostname
    if host is None or not is_loopback_host(host) or parts.scheme not in _DEFAULT_PORTS:
        return None
    return host, parts.port or _DEFAULT_PORTS[parts.scheme]


async def refused_connection(address: tuple[str, int]) -> Verdict | None:
    """Open a TCP connection to ``address`` and close it again: ``CONNECTION_REFUSED`` when the
    port refuses it; None when it opens, or fails in another way (the client then makes the call
    and names the failure). The caller bounds the wait."""
    host, port = address
    try:
        transport, _ = await asyncio.get_running_loop().create_connection(
            asyncio.Protocol, host, port
        )
    except ConnectionRefusedError:
        return Verdict.failed(
            DeliveryErrorType.CANT_GET_RESPONSE,
            DeliveryErrorSubtype.CONNECTION_REFUSED,
            REFUSED.format(host=host, port=port),
        )
    except OSError:
        return None
    transport.close()
    return None


def no_connection(seconds: float) -> Verdict:
    """The log class of a connection that did not open within ``seconds``."""
    return Verdict.failed(
        DeliveryErrorType.CANT_GET_RESPONSE,
        DeliveryErrorSubtype.CONNECTION_TIMED_OUT,
        NO_CONNECTION.format(seconds=seconds),
    )


def transport_failure(exc: Exception, timeout: float, connect: float | None = None) -> Verdict:
    """The log class of a call that got no answer (``timeout``: the deadline it was given;
    ``connect``: the time the connection had to open, the whole deadline when None)."""
    import httpx

    cant = DeliveryErrorType.CANT_GET_RESPONSE
    if isinstance(exc, httpx.ConnectTimeout):
        return no_connection(timeout if connect is None else connect)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return Verdict.failed(
            cant, DeliveryErrorSubtype.READ_TIMED_OUT, f"No answer within {timeout} s"
        )
    if isinstance(exc, httpx.ConnectError):
        if _caused_by(exc, ssl.SSLError):
            return Verdict.failed(cant, DeliveryErrorSubtype.SSL_ERROR, str(exc) or "TLS failed")
        if _caused_by(exc, ConnectionRefusedError):
            # Worded as ``refused_connection`` words it, whichever way the refusal was found.
            url = exc.request.url
            port = url.port or _DEFAULT_PORTS.get(url.scheme, 0)
            return Verdict.failed(
                cant,
                DeliveryErrorSubtype.CONNECTION_REFUSED,
                REFUSED.format(host=url.host, port=port),
            )
        return Verdict.failed(
            cant, DeliveryErrorSubtype.CONNECTION_REFUSED, str(exc) or "Connection refused"
        )
    return Verdict.failed(
        DeliveryErrorType.INVALID_RESPONSE,
        DeliveryErrorSubtype.CANT_PARSE_RESPONSE,
        f"{exc.__class__.__name__}: {exc}".rstrip(": "),
    )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
