"""The store's calls to the Market, through ``dbskit.client.AsyncMarketClient``, and the Market's
clock as its answers tell it.

Every answer of the Market carries a ``Date`` (the emulator's is its sandbox clock, as moved). The
30-minute deadline of R-009 is counted on that clock, never the store's own: ``MarketDates`` is
the client's transport, and notes each answer's ``Date`` for the call that is waiting for it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from dbskit.client import AsyncMarketClient
from dbskit.contract.business_orders import BusinessOrderDTO
from dbskit.contract.digital_goods import ProvideOrderDigitalCodesRequest


@dataclass(slots=True)
class _Seen:
    date: datetime | None = None


# The answer dates of the calls one job makes (a job runs in its own task).
_SEEN: contextvars.ContextVar[_Seen | None] = contextvars.ContextVar("market_dates", default=None)


def answer_date(response: httpx.Response) -> datetime | None:
    value = response.headers.get("date")
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class MarketDates(httpx.AsyncBaseTransport):
    """A transport that notes the ``Date`` of every answer for the call awaiting it."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        seen = _SEEN.get()
        moment = answer_date(response)
        if seen is not None and moment is not None:
            seen.date = moment
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


@contextmanager
def noting_dates() -> Iterator[_Seen]:
    """The ``Date`` of the last answer to the calls made inside."""
    seen = _Seen()
    token = _SEEN.set(seen)
    try:
        yield seen
    finally:
        _SEEN.reset(token)


@dataclass(frozen=True, slots=True)
class Answered:
    """What a call returned, and when on the Market's clock (None: no ``Date`` came)."""

    order: BusinessOrderDTO | None
    market_time: datetime | None


class StoreMarket:
    """The Partner API calls the autopilot makes for one cabinet."""

    def __init__(self, client: AsyncMarketClient, business_id: int) -> None:
        self.client = client
        self.business_id = business_id
        self._test_orders_first = False

    async def read_order(self, order_id: int) -> Answered:
        """The order as the Market has it now (getBusinessOrders by ``orderIds``); None when the
        Market does not list it.

        The Market lists test orders only when asked for them, and only them (R-108), and a
        notification does not say which an order is (R-109): the kind found last is asked for
        first, the other when that finds nothing.

        The kind asked first is taken once, before any await: other jobs read meanwhile and may
        flip it, and the second read must ask for the kind the first did not."""
        first = self._test_orders_first
        with noting_dates() as seen:
            found = await self._read(order_id, fake=first)
            if found is None:
                found = await self._read(order_id, fake=not first)
                if found is not None:
                    self._test_orders_first = not first
        return Answered(found, seen.date)

    async def _read(self, order_id: int, *, fake: bool) -> BusinessOrderDTO | None:
        page = await self.client.get_business_orders(
            business_id=self.business_id, order_ids=[order_id], fake=fake or None
        )
        return next((order for order in page.orders if order.order_id == order_id), None)

    async def send_keys(
        self, *, campaign_id: int, order_id: int, request: ProvideOrderDigitalCodesRequest
    ) -> datetime | None:
        """provideOrderDigitalCodes; the Market's time of its 200."""
        with noting_dates() as seen:
            await self.client.provide_order_digital_codes(
                campaign_id=campaign_id, order_id=order_id, request=request
            )
        return seen.date

    async def accept_cancellation(self, *, campaign_id: int, order_id: int) -> None:
        await self.client.accept_order_cancellation(
            campaign_id=campaign_id, order_id=order_id, accepted=True
        )

    async def aclose(self) -> None:
        await self.client.aclose()


def market_client(*, base_url: str, api_key: str) -> AsyncMarketClient:
    return AsyncMarketClient(api_key=api_key, base_url=base_url, transport=MarketDates())
