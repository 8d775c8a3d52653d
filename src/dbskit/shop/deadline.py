"""The 5.5-second guard (R-037, R-051).

Work that can be slow (many lines, many outlets) is computed off the event loop. If it is not
ready within the budget, the guard answers what it computed last for the same basket and region;
with nothing to fall back on it gives up (the caller answers 500). It never invents
``count: 0``: the Market would hide the offer for hours (R-051). A computation that finishes
late still refreshes the remembered answer.

Small work (up to ``INLINE_WORK_MAX`` lines and outlets) takes well under a millisecond and is
computed on the event loop: handing it to a worker thread would cost several times the work
itself, and it cannot run late unless the whole process stalls, which no thread would help.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Generic, TypeVar

T = TypeVar("T")

# Ours: a remembered answer older than this is not used, so its dates are not stale.
FALLBACK_MAX_AGE = timedelta(minutes=15)
REMEMBERED_ANSWERS = 4096
WORKER_THREADS = 4
INLINE_WORK_MAX = 256


class DeadlineMissed(Exception):
    """No answer in time and none remembered for this basket."""


class CartGuard(Generic[T]):
    def __init__(
        self,
        budget: float,
        *,
        executor: Executor | None = None,
        remember: int = REMEMBERED_ANSWERS,
        max_age: timedelta = FALLBACK_MAX_AGE,
        inline_work_max: int = INLINE_WORK_MAX,
    ) -> None:
        self.budget = budget
        self.inline_work_max = inline_work_max
        self._executor = executor or ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="cart")
        self._capacity = remember
        self._max_age = max_age
        self._answers: OrderedDict[Hashable, tuple[datetime, T]] = OrderedDict()

    async def run(
        self, key_of: Callable[[], Hashable], now: datetime, compute: Callable[[], T], *, work: int
    ) -> T:
        """``compute()`` within the budget; ``work`` estimates its size (lines + outlets);
        ``key_of()`` names the basket and region (made only when the answer may be needed)."""
        if work <= self.inline_work_max:
            return compute()
        key = key_of()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, compute)
        try:
            answer = await asyncio.wait_for(asyncio.shield(future), self.budget)
        except TimeoutError:
            future.add_done_callback(lambda done: self._remember_late(key, now, done))
            remembered = self.recall(key, now)
            if remembered is None:
                raise DeadlineMissed from None
            return remembered
        self._remember(key, now, answer)
        return answer

    def recall(self, key: Hashable, now: datetime) -> T | None:
        entry = self._answers.get(key)
        if entry is None or now - entry[0] > self._max_age:
            return None
        return entry[1]

    def forget(self) -> None:
        """Drop every remembered answer (after the store data change)."""
        self._answers.clear()

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _remember(self, key: Hashable, now: datetime, answer: T) -> None:
        self._answers[key] = (now, answer)
        self._answers.move_to_end(key)
        while len(self._answers) > self._capacity:
            self._answers.popitem(last=False)

    def _remember_late(
        self, key: Hashable, now: datetime, done: asyncio.Future[T] | Future[T]
    ) -> None:
        if not done.cancelled() and done.exception() is None:
            self._remember(key, now, done.result())
