"""The sandbox clock: real time plus an offset, forward only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dbskit.clock import LATEST, Clock, ClockBeyondLatest, ClockMovedBackwards

WALL = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def fixed_clock(offset: timedelta = timedelta(0)) -> Clock:
    return Clock(offset, wall=lambda: WALL)


def test_now_is_wall_plus_offset() -> None:
    assert fixed_clock(timedelta(hours=2)).now() == WALL + timedelta(hours=2)


def test_advance_adds_to_offset() -> None:
    clock = fixed_clock(timedelta(minutes=5))
    assert clock.offset_for(advance=timedelta(minutes=10)) == timedelta(minutes=15)


def test_negative_advance_is_refused() -> None:
    with pytest.raises(ClockMovedBackwards):
        fixed_clock().offset_for(advance=timedelta(seconds=-1))


def test_set_to_a_later_moment() -> None:
    target = WALL + timedelta(days=3)
    assert fixed_clock().offset_for(to=target) == timedelta(days=3)


def test_set_to_an_earlier_moment_is_refused() -> None:
    clock = fixed_clock(timedelta(hours=1))
    with pytest.raises(ClockMovedBackwards):
        clock.offset_for(to=WALL + timedelta(minutes=59))


def test_set_to_now_exactly_is_allowed() -> None:
    clock = fixed_clock(timedelta(hours=1))
    assert clock.offset_for(to=WALL + timedelta(hours=1)) == timedelta(hours=1)


def test_adopt_never_moves_back() -> None:
    clock = fixed_clock(timedelta(hours=1))
    clock.adopt(timedelta(minutes=1))
    assert clock.offset == timedelta(hours=1)
    clock.adopt(timedelta(hours=2))
    assert clock.offset == timedelta(hours=2)


@pytest.mark.decision("The sandbox clock")
def test_the_clock_moves_up_to_its_last_moment_and_no_further() -> None:
    clock = fixed_clock(timedelta(hours=1))
    assert clock.offset_for(to=LATEST) == LATEST - WALL
    assert clock.offset_for(advance=LATEST - WALL - timedelta(hours=1)) == LATEST - WALL
    with pytest.raises(ClockBeyondLatest, match="advancing 1 seconds would pass it"):
        Clock(LATEST - WALL, wall=lambda: WALL).offset_for(advance=timedelta(seconds=1))
    with pytest.raises(ClockBeyondLatest, match=r"9000-01-01T00:00:00\.000001"):
        clock.offset_for(to=LATEST + timedelta(microseconds=1))
