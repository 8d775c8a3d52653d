"""CartGuard on its own: budget, fallback, age of the fallback, capacity."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from dbskit.shop.deadline import FALLBACK_MAX_AGE, INLINE_WORK_MAX, CartGuard, DeadlineMissed

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
BIG = INLINE_WORK_MAX + 1
# A budget no computation of these tests comes near unless it is held on purpose: only a hang
# detector. A held computation misses any budget, so the short one below is never raced.
AMPLE = 60.0
SHORT = 0.05


def blocked(release: threading.Event, value: str) -> str:
    release.wait(AMPLE)
    return value


def constant(value: int) -> Callable[[], int]:
    return lambda: value


@pytest.mark.rule("R-037")
@pytest.mark.decision("POST /cart")
async def test_fallback_within_and_beyond_its_age() -> None:
    guard: CartGuard[str] = CartGuard(AMPLE)
    release = threading.Event()
    try:
        assert await guard.run(lambda: "basket", NOW, lambda: "fresh", work=BIG) == "fresh"
        guard.budget = SHORT
        late = NOW + FALLBACK_MAX_AGE
        assert (
            await guard.run(lambda: "basket", late, lambda: blocked(release, "x"), work=BIG)
            == "fresh"
        )
        too_old = late + timedelta(seconds=1)
        with pytest.raises(DeadlineMissed):
            await guard.run(lambda: "basket", too_old, lambda: blocked(release, "x"), work=BIG)
    finally:
        release.set()
        guard.close()


@pytest.mark.decision("POST /cart")
async def test_forget_and_capacity() -> None:
    guard: CartGuard[int] = CartGuard(AMPLE, remember=2)
    try:
        for key in range(3):
            await guard.run(constant(key), NOW, constant(key), work=BIG)
        assert [guard.recall(key, NOW) for key in range(3)] == [None, 1, 2]
        guard.forget()
        assert guard.recall(2, NOW) is None
    finally:
        guard.close()


@pytest.mark.rule("R-037")
async def test_small_work_is_computed_on_the_loop_thread() -> None:
    guard: CartGuard[str] = CartGuard(AMPLE)
    try:
        thread = await guard.run(
            lambda: "basket", NOW, lambda: threading.current_thread().name, work=3
        )
        assert thread == threading.current_thread().name
        big = await guard.run(
            lambda: "other", NOW, lambda: threading.current_thread().name, work=BIG
        )
        assert big.startswith("cart")
    finally:
        guard.close()
