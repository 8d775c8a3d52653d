"""``AsyncMarketClient``: the Partner API over ``httpx.AsyncClient``, one method per operation.

The same calls as ``MarketClient`` (``_calls``, ``_shapes``, ``_core``); only sending and sleeping
await."""

from __future__ import annotations

import asyncio
import warnings
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import Any, Final

import httpx

from dbskit.client import _calls as calls
from dbskit.client import _constants as c
from dbskit.client import _shapes as shapes
from dbskit.client._core import (
    Answer,
    Attempts,
    OnRetry,
    credential_headers,
    credential_key,
    error_from,
    next_request_id,
    read_answer,
)
from dbskit.client._retry import RetryPolicy
from dbskit.contract.answers import EmptyApiResponse
from dbskit.contract.business_orders import (
    AcceptOrderCancellationRequest,
    BusinessOrderDTO,
    GetBusinessOrdersRequest,
    GetBusinessOrdersResponse,
)
from dbskit.contract.delivery_services import GetDeliveryServicesResponse
from dbskit.contract.digital_goods import ProvideOrderDigitalCodesRequest
from dbskit.contract.enums import CancellationRejectReason, OrderStatus, OrderSubstatus
from dbskit.contract.identifiers import (
    GetOrderIdentifiersStatusResponse,
    ProvideOrderItemIdentifiersRequest,
    ProvideOrderItemIdentifiersResponse,
)
from dbskit.contract.orders import (
    GetOrderResponse,
    GetOrdersResponse,
    UpdateOrderStatusRequest,
    UpdateOrderStatusResponse,
)
from dbskit.contract.tracking import SetOrderDeliveryTrackCodeRequest

# One cap per (Market, token) on each event loop: clients sharing a token share its parallel
# limit; a semaphore belongs to one loop.
_SLOTS: Final[
    weakref.WeakKeyDictionary[
        asyncio.AbstractEventLoop, dict[tuple[str, str, int], asyncio.Semaphore]
    ]
] = weakref.WeakKeyDictionary()


def _slots(base_url: str, token: str, size: int) -> asyncio.Semaphore:
    per_loop = _SLOTS.setdefault(asyncio.get_running_loop(), {})
    key = (base_url, token, size)
    slots = per_loop.get(key)
    if slots is None:
        slots = per_loop[key] = asyncio.Semaphore(size)
    return slots


class AsyncMarketClient:
    """The Yandex.Market Partner API (DBS order methods), on asyncio.

    Calls the Market itself unless ``base_url`` names another server (``dbskit serve`` in tests).
    Retries 5xx and dropped connections of calls safe to repeat, waits out a parallel 420 and an
    hourly one ending within ``retry.max_wait_seconds``, and keeps at most ``max_concurrency``
    calls of the token in flight (R-086). ``on_retry`` sees every decision.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        oauth_token: str | None = None,
        base_url: str = c.DEFAULT_BASE_URL,
        timeout: float = c.DEFAULT_TIMEOUT_SECONDS,
        retry: RetryPolicy | None = None,
        max_concurrency: int = c.DEFAULT_MAX_CONCURRENCY,
        on_retry: OnRetry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._headers = credential_headers(api_key, oauth_token)
        self._json_headers = {**self._headers, "Content-Type": "application/json"}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)
        self._retry = retry or RetryPolicy()
        self._on_retry = on_retry
        self._token = credential_key(self._headers)
        self._max_concurrency = max_concurrency
        # The cap of the loop this client last called on, kept rather than looked up per call.
        self._loop_slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncMarketClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- sending ---------------------------------------------------------------------------

    async def _send(self, call: calls.Call[Answer]) -> Answer:
        request_id = next_request_id()
        base = self._headers if call.content is None else self._json_headers
        headers = {**base, c.REQUEST_ID_HEADER: request_id}
        attempts = Attempts(call, self._retry, self._on_retry, request_id)
        slots = self._slots()
        while True:
            try:
                async with slots:
                    response = await self._http.request(
                        call.method,
                        call.path,
                        params=call.query or None,
                        content=call.content,
                        headers=headers,
                    )
            except httpx.TransportError as exc:
                delay = attempts.after_transport_error(exc)
                await asyncio.sleep(delay)
                continue
            if response.status_code < 300:
                return read_answer(call, response)
            after = attempts.after_error_answer(error_from(call, response, request_id), response)
            if after is None:  # OQ-01: the earlier attempt did it
                return call.answer.model_validate({"status": "OK"})
            await asyncio.sleep(after)

    def _slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        kept = self._loop_slots
        if kept is None or kept[0] is not loop:
            kept = self._loop_slots = (
                loop,
                _slots(self.base_url, self._token, self._max_concurrency),
            )
        return kept[1]

    # --- the operations --------------------------------------------------------------------

    async def provide_order_digital_codes(
        self,
        *,
        campaign_id: int,
        order_id: int,
        request: ProvideOrderDigitalCodesRequest | None = None,
        keys: Mapping[int, Sequence[str]] | None = None,
        slip: str | None = None,
        activate_till: date | None = None,
    ) -> EmptyApiResponse:
        """deliverDigitalGoods (R-001..R-014): the keys of a DIGITAL order's items, ``keys``
        mapping an item id to its keys. A repeat after a lost answer is done, not an error
        (OQ-01)."""
        call = shapes.digital_codes(campaign_id, order_id, request, keys, slip, activate_till)
        return await self._send(call)

    async def set_order_delivery_track_code(
        self,
        *,
        campaign_id: int,
        order_id: int,
        request: SetOrderDeliveryTrackCodeRequest | None = None,
        track_code: str | None = None,
        delivery_service_id: int | None = None,
    ) -> EmptyApiResponse:
        """POST delivery/track (R-015..R-022): the track number and the service carrying it."""
        call = shapes.track(campaign_id, order_id, request, track_code, delivery_service_id)
        return await self._send(call)

    async def provide_order_item_identifiers(
        self,
        *,
        campaign_id: int,
        order_id: int,
        request: ProvideOrderItemIdentifiersRequest | None = None,
        cis: Mapping[int, Sequence[str]] | None = None,
        uin: Mapping[int, Sequence[str]] | None = None,
    ) -> ProvideOrderItemIdentifiersResponse:
        """PUT identifiers (R-023..R-036): marking codes per item id, one per unit."""
        call = shapes.identifiers(campaign_id, order_id, request, cis, uin)
        return await self._send(call)

    async def get_order_identifiers_status(
        self, *, campaign_id: int, order_id: int
    ) -> GetOrderIdentifiersStatusResponse:
        """POST identifiers/status (R-121): the stored codes and their checks."""
        return await self._send(calls.get_order_identifiers_status(campaign_id, order_id))

    async def get_order(self, *, campaign_id: int, order_id: int) -> GetOrderResponse:
        """getOrder (R-119). Deprecated by the Market: use ``get_business_orders``."""
        warnings.warn(
            shapes.DEPRECATED_READ.format(method="get_order"), DeprecationWarning, stacklevel=2
        )
        return await self._send(calls.get_order(campaign_id, order_id))

    async def get_orders(self, *, campaign_id: int, **filters: Any) -> GetOrdersResponse:
        """getOrders (R-120), one page; ``filters`` as ``orders_query`` names them. Deprecated
        by the Market: use ``get_business_orders``."""
        warnings.warn(
            shapes.DEPRECATED_READ.format(method="get_orders"), DeprecationWarning, stacklevel=2
        )
        return await self._send(calls.get_orders(campaign_id, calls.orders_query(**filters)))

    async def update_order_status(
        self,
        *,
        campaign_id: int,
        order_id: int,
        request: UpdateOrderStatusRequest | None = None,
        status: OrderStatus | str | None = None,
        substatus: OrderSubstatus | str | None = None,
        real_delivery_date: date | None = None,
    ) -> UpdateOrderStatusResponse:
        """PUT status (R-104): the store's move of the order (OQ-24, OQ-26)."""
        call = shapes.status(campaign_id, order_id, request, status, substatus, real_delivery_date)
        return await self._send(call)

    async def accept_order_cancellation(
        self,
        *,
        campaign_id: int,
        order_id: int,
        request: AcceptOrderCancellationRequest | None = None,
        accepted: bool | None = None,
        reason: CancellationRejectReason | str | None = None,
    ) -> EmptyApiResponse:
        """acceptOrderCancellation (R-102, OQ-28): answer a buyer's request to cancel. Never
        repeated after a lost answer: a repeat is refused once the first one took effect."""
        return await self._send(
            shapes.cancellation(campaign_id, order_id, request, accepted, reason)
        )

    async def get_delivery_services(self) -> GetDeliveryServicesResponse:
        """GET delivery/services (R-118): the ids that delivery/track takes."""
        return await self._send(calls.get_delivery_services())

    async def get_business_orders(
        self,
        *,
        business_id: int,
        request: GetBusinessOrdersRequest | None = None,
        page_token: str | None = None,
        limit: int | None = None,
        order_ids: Iterable[int] | None = None,
        campaign_ids: Iterable[int] | None = None,
        statuses: Iterable[OrderStatus | str] | None = None,
        substatuses: Iterable[OrderSubstatus | str] | None = None,
        fake: bool | None = None,
        waiting_for_cancellation_approve: bool | None = None,
    ) -> GetBusinessOrdersResponse:
        """getBusinessOrders (OQ-27): one page of the business's orders."""
        body = shapes.business_orders_request(
            request,
            {
                "order_ids": order_ids,
                "campaign_ids": campaign_ids,
                "statuses": statuses,
                "substatuses": substatuses,
                "fake": fake,
                "waiting_for_cancellation_approve": waiting_for_cancellation_approve,
            },
        )
        return await self._send(shapes.business_orders(business_id, body, page_token, limit))

    # --- paging ----------------------------------------------------------------------------

    async def business_order_pages(
        self,
        *,
        business_id: int,
        request: GetBusinessOrdersRequest | None = None,
        limit: int | None = None,
        **filters: Any,
    ) -> AsyncIterator[GetBusinessOrdersResponse]:
        """Every page of getBusinessOrders, following ``paging.nextPageToken``."""
        body = shapes.business_orders_request(request, filters)
        token: str | None = None
        while True:
            page = await self._send(shapes.business_orders(business_id, body, token, limit))
            yield page
            token = page.paging.next_page_token
            if not token:
                return

    async def business_orders(self, **arguments: Any) -> AsyncIterator[BusinessOrderDTO]:
        """Every order of ``business_order_pages(**arguments)``, page after page."""
        async for page in self.business_order_pages(**arguments):
            for order in page.orders:
                yield order

    async def order_pages(
        self, *, campaign_id: int, limit: int | None = None, **filters: Any
    ) -> AsyncIterator[GetOrdersResponse]:
        """Every page of getOrders by its page token (R-120). Deprecated by the Market."""
        warnings.warn(
            shapes.DEPRECATED_READ.format(method="order_pages"), DeprecationWarning, stacklevel=2
        )
        token: str | None = None
        while True:
            query = calls.orders_query(page_token=token, limit=limit or c.ORDERS_PAGE, **filters)
            page = await self._send(calls.get_orders(campaign_id, query))
            yield page
            token = page.paging.next_page_token if page.paging else None
            if not token:
                return


__all__ = ["AsyncMarketClient"]
