"""Delivery dates from a rule and the store's local time (R-057..R-062, C-14, C-15).

Pure functions: ``local`` is the sandbox clock's ``now`` in the store's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dbskit.contract import limits
from dbskit.store_data.delivery_rules import DeliveryRule, Interval

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PlannedDates:
    from_date: date
    to_date: date | None = None
    intervals: tuple[tuple[date, Interval], ...] = ()


def next_working_day(rule: DeliveryRule, day: date) -> date:
    # Loading refuses a rule whose every weekday is off, so this ends within a week after the
    # last holiday.
    while not rule.is_working_day(day):
        day += _DAY
    return day


def first_day(rule: DeliveryRule, local: datetime, *, extra_days: int = 0) -> date:
    """The earliest delivery day for an order placed at ``local``."""
    start = local.date()
    if local.time() >= rule.cutoff:
        start += _DAY
    return next_working_day(rule, start + timedelta(days=rule.lead_days + extra_days))


def _open_intervals(rule: DeliveryRule, day: date, local: datetime) -> tuple[Interval, ...]:
    """A day's intervals, without those that have already begun today."""
    if day != local.date():
        return rule.intervals
    now = local.time()
    return tuple(interval for interval in rule.intervals if interval.start > now)


def courier_dates(rule: DeliveryRule, local: datetime) -> PlannedDates:
    """R-059: only ``fromDate`` without intervals; otherwise all three, at most 7 intervals in
    total (C-14: satisfies both readings of the limit)."""
    day = first_day(rule, local)
    if not rule.intervals:
        return PlannedDates(day)
    while not _open_intervals(rule, day, local):
        day = next_working_day(rule, day + _DAY)
    last = day + timedelta(days=rule.span_days)
    planned: list[tuple[date, Interval]] = []
    while day <= last and len(planned) < limits.CART_INTERVALS_MAX:
        if rule.is_working_day(day):
            for interval in _open_intervals(rule, day, local):
                planned.append((day, interval))
                if len(planned) == limits.CART_INTERVALS_MAX:
                    break
        day += _DAY
    return PlannedDates(planned[0][0], planned[-1][0], tuple(planned))


def range_dates(rule: DeliveryRule, local: datetime, *, extra_days: int = 0) -> PlannedDates:
    """R-060 (PICKUP) and POST: ``fromDate`` and ``toDate``, no intervals."""
    day = first_day(rule, local, extra_days=extra_days)
    return PlannedDates(day, day + timedelta(days=rule.span_days))
