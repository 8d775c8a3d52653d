"""The limiter: admits an authenticated Partner API call or answers 420 (R-083..R-086, OQ-15).

A call first takes one of its token's parallel slots, then spends one request of its budget's
current window; either refusal is a 420 that spends nothing. An admitted call holds its slot until
its answer is sent (``release``). Every answer after authentication carries the budget's state in
the ``X-RateLimit-Resource-*`` headers, the 420s included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from dbskit.clock import Clock
from dbskit.contract.errors import LimitExceeded, Messages, ServiceUnavailable
from dbskit.market.domain.rate_limits import (
    LIMIT_HEADER,
    REMAINING_HEADER,
    UNTIL_HEADER,
    WINDOW_SECONDS,
    Budget,
    budgets_for,
    campaign_counter_suffix,
    counter_key,
    rfc822,
    window_end,
    window_of,
)
from dbskit.market.limits.storage import (
    CounterStorage,
    CountersUnavailable,
    Lease,
    counter_storage,
)
from dbskit.settings import Settings

log = logging.getLogger(__name__)

RawHeaders = list[tuple[bytes, bytes]]

_LIMIT = LIMIT_HEADER.lower().encode()
_UNTIL = UNTIL_HEADER.lower().encode()
_REMAINING = REMAINING_HEADER.lower().encode()


@dataclass(slots=True)
class Admission:
    """An admitted call: the headers for its answer and the parallel slot it holds."""

    headers: RawHeaders
    token_key: str
    lease: Lease


class Limiter:
    def __init__(
        self, *, budgets: Mapping[str, Budget], storage: CounterStorage, clock: Clock
    ) -> None:
        self._budgets = dict(budgets)
        self._storage = storage
        self._clock = clock
        self._limit_values = {
            op: str(budget.per_window).encode() for op, budget in self._budgets.items()
        }
        self._until_window = -1
        self._until_value = b""

    @property
    def storage(self) -> CounterStorage:
        return self._storage

    def budget(self, operation_id: str) -> Budget:
        return self._budgets[operation_id]

    async def admit(
        self,
        operation_id: str,
        *,
        token_key: str,
        campaign_id: int | None = None,
        business_id: int | None = None,
    ) -> Admission:
        """Admit the call or raise ``LimitExceeded`` (420) carrying the limit headers."""
        budget = self._budgets[operation_id]
        key = counter_key(budget, campaign_id=campaign_id, business_id=business_id)
        now = self._clock.now()
        window = window_of(now)
        try:
            lease = await self._storage.acquire(token_key, limit=budget.parallel)
            if lease is None:
                counted = await self._storage.count(key, window)
                raise LimitExceeded(
                    budget.parallel_message, headers=self._header_dict(budget, window, counted)
                )
            try:
                expiry = (window + 1) * WINDOW_SECONDS - int(now.timestamp()) + 1
                count = await self._storage.hit(key, window, limit=budget.per_window, expiry=expiry)
            except BaseException:
                await self._release(token_key, lease)
                raise
        except CountersUnavailable:
            raise ServiceUnavailable(Messages.SERVICE_UNAVAILABLE) from None
        if count is None:
            await self._release(token_key, lease)
            raise LimitExceeded(
                budget.exceeded_message,
                headers=self._header_dict(budget, window, budget.per_window),
            )
        headers = [
            (_LIMIT, self._limit_values[operation_id]),
            (_UNTIL, self._until(window)),
            (_REMAINING, str(budget.per_window - count).encode()),
        ]
        return Admission(headers, token_key, lease)

    async def refusal(
        self,
        operation_id: str,
        *,
        parallel: bool,
        campaign_id: int | None = None,
        business_id: int | None = None,
    ) -> LimitExceeded:
        """The 420 ``admit`` raises when the budget's window is full or, with ``parallel``, when
        the token's parallel slots are all taken: the same message and headers, for the sandbox's
        fault rules to answer without spending anything."""
        budget = self._budgets[operation_id]
        window = window_of(self._clock.now())
        if not parallel:
            return LimitExceeded(
                budget.exceeded_message,
                headers=self._header_dict(budget, window, budget.per_window),
            )
        key = counter_key(budget, campaign_id=campaign_id, business_id=business_id)
        try:
            counted = await self._storage.count(key, window)
        except CountersUnavailable:
            raise ServiceUnavailable(Messages.SERVICE_UNAVAILABLE) from None
        return LimitExceeded(
            budget.parallel_message, headers=self._header_dict(budget, window, counted)
        )

    async def forget_windows(self, campaign_id: int | None = None) -> None:
        """Drop the budgets' counts (``POST /sandbox/reset``): all of them, or the campaign's."""
        suffix = None if campaign_id is None else campaign_counter_suffix(campaign_id)
        try:
            await self._storage.forget_windows(suffix)
        except CountersUnavailable:
            raise ServiceUnavailable(Messages.SERVICE_UNAVAILABLE) from None

    async def release(self, admission: Admission) -> None:
        """Give the call's parallel slot back (after its answer has been sent)."""
        await self._release(admission.token_key, admission.lease)

    async def close(self) -> None:
        await self._storage.close()

    async def _release(self, token_key: str, lease: Lease) -> None:
        try:
            await self._storage.release(token_key, lease)
        except CountersUnavailable:
            # The slot's lease runs out on its own; the answer has been given already.
            log.warning("could not release a parallel slot of %s", token_key)

    def _until(self, window: int) -> bytes:
        if window != self._until_window:
            self._until_value = rfc822(window_end(window)).encode()
            self._until_window = window
        return self._until_value

    def _header_dict(self, budget: Budget, window: int, counted: int) -> dict[str, str]:
        return {
            LIMIT_HEADER: str(budget.per_window),
            UNTIL_HEADER: self._until(window).decode(),
            REMAINING_HEADER: str(max(budget.per_window - counted, 0)),
        }


def build_limiter(settings: Settings, clock: Clock) -> Limiter:
    """The profile's budgets with the configured overrides, on Redis when one is configured."""
    budgets = budgets_for(
        settings.profile, overrides=settings.limit_overrides, parallel=settings.parallel_limit
    )
    return Limiter(budgets=budgets, storage=counter_storage(settings.redis_url), clock=clock)
