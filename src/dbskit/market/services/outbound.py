"""The runtime's HTTP client for the Market's calls to stores (API notifications, pushes).

One client per runtime, made on first use — a Market that never calls a store does not pay for
importing httpx at start-up — and closed when the runtime stops. It ignores proxy variables: the
stores it calls are the ones the sandbox was told about. A call that got no answer is named in
the classes of the Market's logs by ``dbskit.notification_failures.transport_failure``.

``refused_connection`` opens a TCP connection to a store on this machine that refused the last
attempt, before the client does: a store still not running refuses it at once, and that costs
about 50 µs this way against 350–550 µs through httpx, which builds the request, takes a
connection from its pool and maps the error on the way. A notification to a stopped store is
tried about 150 times in its first day (R-116).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from dbskit.hosts import is_loopback_host
from dbskit.notification_answers import Verdict, connection_refused
from dbskit.notification_failures import DEFAULT_PORTS

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
    if host is None or not is_loopback_host(host) or parts.scheme not in DEFAULT_PORTS:
        return None
    return host, parts.port or DEFAULT_PORTS[parts.scheme]


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
        return connection_refused(host, port)
    except OSError:
        return None
    transport.close()
    return None
