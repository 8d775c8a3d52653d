"""Delivery dates: cut-off, lead time, days off, holidays, the 7-interval cap (R-057..R-062)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from dbskit.contract import limits
from dbskit.contract.cart import CartPaymentMethod
from dbskit.contract.enums import DeliveryType
from dbskit.shop.cart import format_date, format_time
from dbskit.shop.dates import courier_dates, first_day, range_dates
from dbskit.store_data.delivery_rules import DeliveryRule, Interval

MSK = ZoneInfo("Europe/Moscow")
MONDAY = date(2026, 11, 23)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


def rule(**changes: object) -> DeliveryRule:
    base = DeliveryRule(
        id="r",
        region_id=1,
        type=DeliveryType.DELIVERY,
        service_name="Courier",
        service_id=None,
        price=0.0,
        lead_days=1,
        cutoff=time(14, 0),
        span_days=0,
        intervals=(),
        days_off=frozenset(),
        holidays=frozenset(),
        payment_methods=(CartPaymentMethod.YANDEX,),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def spans(*pairs: tuple[int, int]) -> tuple[Interval, ...]:
    return tuple(
        Interval(time(start), time(end) if end < 24 else time(23, 59)) for start, end in pairs
    )


@pytest.mark.rule("R-058")
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(at(MONDAY, 13, 59), date(2026, 11, 24), id="before-cutoff"),
        pytest.param(at(MONDAY, 14, 0), date(2026, 11, 25), id="at-cutoff-counts-from-tomorrow"),
        pytest.param(at(MONDAY, 23, 30), date(2026, 11, 25), id="late-evening"),
    ],
)
def test_cutoff(moment: datetime, expected: date) -> None:
    assert first_day(rule(), moment) == expected


@pytest.mark.rule("R-058")
def test_days_off_and_holidays_are_skipped() -> None:
    friday = date(2026, 11, 27)
    closed = rule(days_off=frozenset({5, 6}), holidays=frozenset({date(2026, 11, 30)}))
    assert first_day(closed, at(friday, 10)) == date(2026, 12, 1)


@pytest.mark.rule("R-061", "C-14", "R-062")
def test_intervals_are_capped_at_seven_in_total() -> None:
    courier = rule(span_days=5, intervals=spans((9, 12), (12, 15), (15, 18), (18, 21)))
    planned = courier_dates(courier, at(MONDAY, 10))
    assert len(planned.intervals) == limits.CART_INTERVALS_MAX
    assert [format_date(day) for day, _ in planned.intervals] == ["24-11-2026"] * 4 + [
        "25-11-2026"
    ] * 3
    assert planned.from_date == date(2026, 11, 24)
    assert planned.to_date == date(2026, 11, 25)


@pytest.mark.rule("R-062")
def test_intervals_that_began_today_are_not_offered() -> None:
    same_day = rule(lead_days=0, cutoff=time(20, 0), intervals=spans((10, 14), (14, 18), (18, 22)))
    planned = courier_dates(same_day, at(MONDAY, 14, 0))
    assert [
        (format_date(day), format_time(i.start), format_time(i.end)) for day, i in planned.intervals
    ] == [("23-11-2026", "18:00", "22:00")]


@pytest.mark.rule("R-062")
def test_when_today_is_over_the_intervals_move_to_the_next_working_day() -> None:
    same_day = rule(
        lead_days=0, cutoff=time(23, 0), intervals=spans((10, 14)), days_off=frozenset({1})
    )
    planned = courier_dates(same_day, at(MONDAY, 15, 0))
    assert planned.from_date == date(2026, 11, 25)  # Tuesday is off
    assert planned.intervals == ((date(2026, 11, 25), Interval(time(10), time(14))),)


@pytest.mark.rule("R-059", "C-15")
def test_courier_without_intervals_has_only_from_date() -> None:
    planned = courier_dates(rule(span_days=3), at(MONDAY, 10))
    assert (planned.from_date, planned.to_date, planned.intervals) == (date(2026, 11, 24), None, ())


@pytest.mark.rule("R-060")
def test_pickup_range_with_extra_days() -> None:
    pickup = rule(type=DeliveryType.PICKUP, lead_days=2, span_days=3)
    planned = range_dates(pickup, at(MONDAY, 10), extra_days=1)
    assert (planned.from_date, planned.to_date, planned.intervals) == (
        date(2026, 11, 26),
        date(2026, 11, 29),
        (),
    )


@pytest.mark.rule("R-057", "R-062", "C-16")
def test_formats() -> None:
    assert format_date(date(2026, 3, 1)) == "01-03-2026"
    assert format_time(time(9, 0)) == "09:00"
    assert format_time(time(23, 59)) == "23:59"


@pytest.mark.rule("R-062")
def test_store_time_zone_decides_the_day() -> None:
    vladivostok = ZoneInfo("Asia/Vladivostok")
    # 23:30 in Moscow on Monday is already Tuesday 06:30 in Vladivostok.
    moment = at(MONDAY, 23, 30).astimezone(vladivostok)
    assert first_day(rule(), moment) == date(2026, 11, 25)
