"""The running store: its current data, the guard, and reloads that swap data atomically."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dbskit.contract.cart import CartAnswer, CartRequest, sku_key
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.shop.cart import answer_cart, region_delivery
from dbskit.shop.deadline import CartGuard
from dbskit.store_data.data import StoreData

log = logging.getLogger("dbskit.store")

Responder = Callable[[CartRequest, StoreData, datetime], CartAnswer]


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class PushAuth:
    mode: PushAuthMode
    token: str | None


def basket_key(request: CartRequest) -> Hashable:
    """ "The same basket and region": the region chain and every line's offer and count."""
    cart = request.cart
    lines = tuple((item.feed_id, sku_key(item.offer_id), item.count) for item in cart.items)
    return (tuple(cart.delivery.region.chain_ids()), lines)


def estimated_work(request: CartRequest, data: StoreData) -> int:
    """What the answer's size grows with: the lines, and the outlets listed for the region."""
    _chain, delivery = region_delivery(data, request.cart.delivery.region)
    return len(request.cart.items) + delivery.outlet_count


class StoreService:
    def __init__(
        self,
        data: StoreData,
        *,
        clock: Clock,
        loader: Callable[[], StoreData],
        auth: PushAuth,
        guard: CartGuard[CartAnswer],
        responder: Responder = answer_cart,
        freeze: bool = False,
    ) -> None:
        self._data = data
        self.clock = clock
        self.auth = auth
        self.guard = guard
        self._loader = loader
        self._responder = responder
        self._reload_lock = threading.Lock()
        self._freeze = freeze
        if freeze:
            freeze_loaded()

    @property
    def data(self) -> StoreData:
        return self._data

    async def answer(self, request: CartRequest) -> CartAnswer:
        data = self._data  # one reference: a reload in between does not mix old and new data
        now = self.clock.now()
        return await self.guard.run(
            lambda: basket_key(request),
            now,
            lambda: self._responder(request, data, now),
            work=estimated_work(request, data),
        )

    def reload(self) -> StoreData:
        """Build the new data completely, then swap; on failure the old data stay in use."""
        with self._reload_lock:
            data = self._loader()
            self._data = data
            self.guard.forget()
        if self._freeze:
            freeze_loaded()
        log.info("store data reloaded: %s", data.summary())
        return data

    async def reload_in_background(self) -> StoreData:
        return await asyncio.to_thread(self.reload)

    def close(self) -> None:
        self.guard.close()


def freeze_loaded() -> None:
    """Move what is loaded out of the collector's sight: a full collection then does not walk
    the whole catalogue, which would spoil /cart latencies."""
    gc.collect()
    gc.freeze()
