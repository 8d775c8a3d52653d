"""The runtime's HTTP client for the Market's calls to stores (API notifications, pushes).

One client per runtime, made on first use — a Market that never calls a store does not pay for
importing httpx at start-up — and closed when the runtime stops. It ignores proxy variables: the
stores it calls are the ones the sandbox was told about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


class OutboundHttp:
    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(trust_env=False, follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
