"""The sandbox clock: real time plus an offset that only grows, but for a full reset.

This is the only module that reads the wall clock. Every time rule (deadlines, limit windows,
delayed events) asks a ``Clock`` for ``now()``, so tests and sellers move time instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def wall_clock() -> datetime:
    return datetime.now(UTC)


# The sandbox clock's last moment. Every window dbskit computes from "now" (a year of an OAuth
# token, 14 days of notification retries, dates a month ahead) must still fall within what a
# datetime holds (year 9999); a clock moved past this would turn those into errors.
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class ClockMovedBackwards(ValueError):
    """The sandbox clock only moves forward."""


class ClockBeyondLatest(ValueError):
    """The sandbox clock stops at ``LATEST``."""


class Clock:
    def __init__(
        self, offset: timedelta = timedelta(0), *, wall: Callable[[], datetime] = wall_clock
    ) -> None:
        self._offset = offset
        self._wall = wall
        self._resets = 0

    @property
    def offset(self) -> timedelta:
        return self._offset

    @property
    def resets(self) -> int:
        """How many full resets of the sandbox this clock has adopted."""
        return self._resets

    def now(self) -> datetime:
        return self._wall() + self._offset

    def wall(self) -> datetime:
        return self._wall()

    def adopt(self, offset: timedelta, *, resets: int | None = None) -> None:
        """Take an offset read from shared storage; a smaller one is ignored (forward only).

        ``resets``, stored with the offset, counts the full resets of the sandbox, the one move
        back (to real time): an offset of a later reset is taken even when smaller, and one read
        before the last reset adopted here is ignored."""
        if resets is not None and resets != self._resets:
            if resets > self._resets:
                self._resets = resets
                self._offset = offset
            return
        if offset > self._offset:
            self._offset = offset

    def offset_for(
        self, *, advance: timedelta | None = None, to: datetime | None = None
    ) -> timedelta:
        """The offset that moves the clock forward by ``advance`` or to ``to``."""
        if advance is not None:
            if advance < timedelta(0):
                raise ClockMovedBackwards("advanceSeconds must not be negative")
            wall = self._wall()
            if advance > LATEST - wall - self._offset:
                raise ClockBeyondLatest(
                    f"{_STOPS}: advancing {advance.total_seconds():g} seconds would pass it"
                )
            return self._offset + advance
        if to is None:
            raise ValueError("either advance or to is required")
        if to.tzinfo is None:
            raise ValueError("the target time needs a time zone offset")
        if to > LATEST:
            raise ClockBeyondLatest(f"{_STOPS}: {to.isoformat()} is later")
        if to < self.now():
            raise ClockMovedBackwards(
                f"The sandbox clock only moves forward: {to.isoformat()} is before "
                f"{self.now().isoformat()}"
            )
        return to - self._wall()


_STOPS = f"The sandbox clock stops at {LATEST.isoformat().replace('+00:00', 'Z')}"
