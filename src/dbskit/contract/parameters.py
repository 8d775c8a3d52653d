"""Path and query parameters: one parser for every integer and every date parameter.

The Partner API (the gateway's ``campaignId``, the handlers' ``orderId``, the getOrders query)
and /sandbox (path and query) read their integers and dates here, so a value is refused the same
way wherever it is sent, with a 400 naming the parameter (R-081 texts):

- an integer is ASCII decimal digits, a minus sign allowed in front (no ``+``, spaces, ``_``,
  fractions or other scripts' digits): else ``Value of field X must be an integer``. Its value must
  lie within the parameter's bounds, ids within ``ID_MIN..INT64_MAX`` (R-003), else the R-081 bound
  message with the value as sent. A number with more digits than an int64 can hold is never
  handed to ``int()`` (whose digit limit would be a 500).
- a day is ``DD-MM-YYYY`` (R-092) and a date-time is ISO 8601 with an offset; both must name a
  moment that exists in UTC (a day from its midnight in Market time), else the R-081
  ``must be between`` message.
- an empty value is a bad value like any other.

``parse_*`` raise ``PydanticCustomError`` so that the same functions serve as pydantic validators
(``IdParameter``, ``integer_validator``, ``DayParameter``, ``MomentParameter``: one
``errors[]`` entry per bad parameter, through ``validation.TEMPLATES``) and as plain parsers
(``integer_parameter``: one 400).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Final, NoReturn

from pydantic import BeforeValidator
from pydantic_core import ErrorDetails, PydanticCustomError

from dbskit.contract import limits
from dbskit.contract._base import ID_MIN, INT64_MAX
from dbskit.contract.errors import BadRequest
from dbskit.contract.validation import violation_message

_INTEGER: Final = re.compile(r"(-?)([0-9]+)")  # [0-9] is ASCII only, unlike \d
_INT64_DIGITS: Final = len(str(INT64_MAX))  # 19: more significant digits are beyond int64
_DAY: Final = re.compile(r"(?P<day>[0-9]{2})-(?P<month>[0-9]{2})-(?P<year>[0-9]{4})")
_ISO_DAY: Final = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")
_UNESCAPED_PLUS: Final = re.compile(r" ([0-9]{2}:?[0-9]{2})\Z")  # a "+" the query made a space

# Every time the emulator keeps is an aware datetime: the range it can hold in UTC.
MOMENT_MIN: Final = datetime.min.replace(tzinfo=UTC)
MOMENT_MAX: Final = datetime.max.replace(tzinfo=UTC)


def _iso_moment(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _market_midnight(day: date) -> datetime | None:
    """The day's start in Market time (R-120: dates count from 00:00), or None outside UTC's
    range."""
    try:
        return datetime.combine(day, time(0), tzinfo=limits.MARKET_TIMEZONE).astimezone(UTC)
    except OverflowError:
        return None


def day_text(day: date) -> str:
    """``DD-MM-YYYY`` with a four-digit year (``strftime`` drops the zeros of year 1)."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


# The days whose midnight in Market time exists in UTC (Moscow is ahead: the first day is 2 Jan 1).
DAY_MIN: Final = date.min if _market_midnight(date.min) else date.min + timedelta(days=1)
DAY_MAX: Final = date.max if _market_midnight(date.max) else date.max - timedelta(days=1)


def parse_integer(value: Any, *, ge: int, le: int) -> int:
    """An integer parameter as sent (text), or an ``int`` (never a ``bool``), within [ge, le]."""
    if isinstance(value, str):
        match = _INTEGER.fullmatch(value)
        if match is None:
            raise PydanticCustomError("int_parsing", "Input should be a valid integer")
        sign, digits = match.groups()
        digits = digits.lstrip("0") or "0"
        if len(digits) > _INT64_DIGITS:
            _out_of_bounds(below=bool(sign), ge=ge, le=le)
        number = int(sign + digits)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    if number < ge or number > le:
        _out_of_bounds(below=number < ge, ge=ge, le=le)
    return number


def _out_of_bounds(*, below: bool, ge: int, le: int) -> NoReturn:
    if below:
        raise PydanticCustomError(
            "greater_than_equal", "Input should be greater than or equal to {ge}", {"ge": ge}
        )
    raise PydanticCustomError(
        "less_than_equal", "Input should be less than or equal to {le}", {"le": le}
    )


def parse_day(value: Any) -> date:
    """``DD-MM-YYYY`` (R-092), a real calendar day whose midnight in Market time exists."""
    return _calendar_day(value, _DAY, limits.GET_ORDERS_DATE_FORMAT, day_text)


def parse_iso_day(value: Any) -> date:
    """``YYYY-MM-DD`` (the v1 methods' ``format: date``), a real day as ``parse_day`` wants."""
    return _calendar_day(value, _ISO_DAY, limits.ISO_DATE_FORMAT, date.isoformat)


def _calendar_day(
    value: Any, pattern: re.Pattern[str], form: str, shown: Callable[[date], str]
) -> date:
    """A day written in ``pattern`` (named groups ``year``, ``month``, ``day``) that exists and
    whose midnight in Market time exists; the range error shows the bounds as ``shown``."""
    match = pattern.fullmatch(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError(value)
        day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise _day_format_error(form) from None
    if _market_midnight(day) is None:
        raise _range_error(shown(DAY_MIN), shown(DAY_MAX))
    return day


def _day_format_error(pattern: str) -> PydanticCustomError:
    return PydanticCustomError(
        "day_format", "Input should be a date in the format {pattern}", {"pattern": pattern}
    )


def parse_moment(value: Any) -> datetime:
    """ISO 8601 with an offset, in UTC; a ``+`` that arrived unescaped (as a space) is put back."""
    moment = None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(_UNESCAPED_PLUS.sub(r"+\1", value))
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise PydanticCustomError(
            "date_time_format", "Input should be an ISO 8601 date-time with an offset"
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise _range_error(_iso_moment(MOMENT_MIN), _iso_moment(MOMENT_MAX)) from None


def _range_error(minimum: str, maximum: str) -> PydanticCustomError:
    return PydanticCustomError(
        "date_range",
        "Input should be between {minimum} and {maximum}",
        {"minimum": minimum, "maximum": maximum},
    )


def shift_moment(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, stopping at the ends of the range instead of overflowing."""
    try:
        return moment + delta
    except OverflowError:
        return MOMENT_MAX if delta > timedelta(0) else MOMENT_MIN


def shift_day(day: date, delta: timedelta) -> date:
    """``day + delta`` within ``DAY_MIN..DAY_MAX``."""
    try:
        shifted = day + delta
    except OverflowError:
        shifted = DAY_MAX if delta > timedelta(0) else DAY_MIN
    return min(max(shifted, DAY_MIN), DAY_MAX)


def integer_validator(ge: int, le: int) -> BeforeValidator:
    """For ``Annotated[int, integer_validator(ge, le)]``: an integer parameter within [ge, le]
    in a pydantic model or a FastAPI signature."""

    def validate(value: Any) -> int:
        return parse_integer(value, ge=ge, le=le)

    return BeforeValidator(validate)


IdParameter = Annotated[int, integer_validator(ID_MIN, INT64_MAX)]
DayParameter = Annotated[date, BeforeValidator(parse_day)]
IsoDayParameter = Annotated[date, BeforeValidator(parse_iso_day)]
MomentParameter = Annotated[datetime, BeforeValidator(parse_moment)]


def parameter_error(name: str, raw: str, error: PydanticCustomError) -> BadRequest:
    """The 400 for one bad parameter, worded like a model's violation of the same kind."""
    details = ErrorDetails(
        type=error.type, loc=(name,), msg=error.message(), input=raw, ctx=error.context or {}
    )
    return BadRequest(violation_message(details))


def integer_parameter(name: str, raw: str, *, ge: int = ID_MIN, le: int = INT64_MAX) -> int:
    """A path or query integer (an id unless the bounds say otherwise), or the 400 naming it."""
    try:
        return parse_integer(raw, ge=ge, le=le)
    except PydanticCustomError as error:
        raise parameter_error(name, raw, error) from None
