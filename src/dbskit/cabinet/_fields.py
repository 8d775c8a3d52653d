"""Reading a page's query parameters and a form's fields, each bad value a 400 naming its field.

Query strings and ``application/x-www-form-urlencoded`` bodies are the same shape: names with
one or more text values. ``Fields`` reads them by name into typed values; an empty value is
"not given" (a browser sends every field of a form, filled or not).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final, TypeVar
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request

from dbskit.clock import LATEST
from dbskit.contract import limits
from dbskit.contract.errors import BadRequest
from dbskit.http_body import receive_limited

E = TypeVar("E", bound=StrEnum)

# Ours: the longest value a cabinet field takes (a scenario file is the one long field, within
# the request body limit of every /sandbox body).
TEXT_MAX: Final = 2048
INT64_MAX: Final = 2**63 - 1
# Ours: the first day a filter takes (the Unix epoch); the sandbox clock stops at LATEST.
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
FORM_MEDIA_TYPE: Final = "application/x-www-form-urlencoded"


class BadField(BadRequest):
    """A field whose value the page cannot take: the 400 page names it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"Field {name}: {problem}")
        self.field = name


class NotAForm(BadRequest):
    """A body that is not an urlencoded form (or none at all)."""


class Fields:
    """Named text values from a query string or a form body."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    @classmethod
    def of_query(cls, request: Request) -> Fields:
        return cls(_decoded(request.scope["query_string"]))

    @classmethod
    async def of_form(cls, request: Request) -> Fields:
        """The form body (urlencoded, within the body limit of every /sandbox body)."""
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != FORM_MEDIA_TYPE:
            raise NotAForm(f"A form is sent as {FORM_MEDIA_TYPE}")
        body = await receive_limited(
            request.receive,
            request.headers.get("content-length"),
            limits.REQUEST_BODY_MAX_BYTES,
        )
        return cls(_decoded(body))

    def raw(self, name: str) -> str | None:
        """The one value of ``name``, None when absent or empty; given twice is an error."""
        values = self._values.get(name, [])
        if len(values) > 1:
            raise BadField(name, "given more than once")
        if not values or not values[0].strip():
            return None
        return values[0]

    def all(self, name: str) -> list[str]:
        return [value for value in self._values.get(name, []) if value.strip()]

    def text(self, name: str, *, required: bool = False, max_length: int = TEXT_MAX) -> str | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise BadField(name, "a value is required")
            return None
        if len(value) > max_length:
            raise BadField(name, f"at most {max_length} characters")
        if "\x00" in value:
            raise BadField(name, "must not contain the NUL character")
        return value

    def required_text(self, name: str, *, max_length: int = TEXT_MAX) -> str:
        value = self.text(name, required=True, max_length=max_length)
        assert value is not None
        return value

    def integer(
        self, name: str, *, low: int = 1, high: int = INT64_MAX, required: bool = False
    ) -> int | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise BadField(name, "a value is required")
            return None
        text = value.strip()
        if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 20:
            raise BadField(name, f"not a whole number: {_shown(value)}")
        number = int(text)
        if not low <= number <= high:
            raise BadField(name, f"must be between {low} and {high}")
        return number

    def required_integer(self, name: str, *, low: int = 1, high: int = INT64_MAX) -> int:
        value = self.integer(name, low=low, high=high, required=True)
        assert value is not None
        return value

    def number(self, name: str, *, low: float, high: float) -> float | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            number = float(value.strip())
        except ValueError:
            raise BadField(name, f"not a number: {_shown(value)}") from None
        if not low <= number <= high:  # NaN fails both
            raise BadField(name, f"must be between {low:g} and {high:g}")
        return number

    def choice(self, name: str, enum: type[E]) -> E | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise BadField(name, f"must be one of {allowed}") from None

    def flag(self, name: str) -> bool | None:
        """``yes``, ``no`` or not given (any)."""
        value = self.raw(name)
        if value is None:
            return None
        if value not in _FLAGS:
            raise BadField(name, "must be yes or no")
        return _FLAGS[value]

    def day(self, name: str) -> date | None:
        """A day as an ``<input type=date>`` sends it: ``YYYY-MM-DD``, within the sandbox
        clock's range."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise BadField(name, f"not a day (YYYY-MM-DD): {_shown(value)}") from None
        if not EARLIEST.date() <= day < LATEST.date():
            raise BadField(name, f"must be from {EARLIEST.date()} to before {LATEST.date()}")
        return day

    def moment(self, name: str) -> datetime | None:
        """A moment as ``<input type=datetime-local>`` sends it, on the sandbox clock (UTC), or
        with an offset."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise BadField(
                name, f"not a date and time (YYYY-MM-DDTHH:MM): {_shown(value)}"
            ) from None
        try:
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except OverflowError:
            moment = LATEST  # out of range either way: refused below
        if not EARLIEST <= moment < LATEST:
            raise BadField(name, f"must be from {EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d}")
        return moment


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_after(day: date) -> datetime:
    return day_start(day) + timedelta(days=1)


_FLAGS: Final = {"yes": True, "no": False}
_SHOWN_MAX: Final = 40


def _shown(value: str) -> str:
    cut = value if len(value) <= _SHOWN_MAX else value[:_SHOWN_MAX] + "…"
    return repr(cut)


def _decoded(raw: bytes) -> list[tuple[str, str]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The query or form is not valid UTF-8") from None
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError:
        raise BadRequest(f"At most {_MAX_FIELDS} fields") from None


# Ours: more fields than any cabinet form has, few enough to parse cheaply.
_MAX_FIELDS: Final = 200


def path_id(request: Request, name: str) -> int:
    """An id in the page's path: a positive 64-bit number, else a 400 naming it."""
    return Fields([(name, str(request.path_params[name]))]).required_integer(name)


def echoed(fields: Fields, names: Iterable[str]) -> dict[str, str]:
    """The values as given, to fill the form in again (rendered escaped)."""
    return {name: fields.raw(name) or "" for name in names}


def page_link(path: str, fields: Fields, names: Iterable[str], **more: str) -> str:
    """``path`` with the given filters kept and ``more`` added (the next page's cursor)."""
    query = {name: value for name in names if (value := fields.raw(name)) is not None}
    query.update(more)
    return f"{path}?{urlencode(query)}" if query else path
