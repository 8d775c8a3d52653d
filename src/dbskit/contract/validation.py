"""Schema violations as Market errors: one ``errors[]`` entry per violation (R-081 templates).

pydantic reports each violation with a type, a location and context values; ``TEMPLATES`` maps
each type to the Market's wording. The location becomes a dotted, indexed path such as
``items[0].slip``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from dbskit.contract.errors import BadRequest, ErrorCode, ErrorDetail, Messages

# Locations FastAPI puts in front of the field path.
_SOURCE_PREFIXES = frozenset({"body", "query", "path", "header", "cookie"})


def check_unique(field: str, values: Sequence[Any]) -> None:
    """The spec's ``uniqueItems: true``: a ValueError (a field violation inside a validator)
    naming the first value that repeats and where it first stood."""
    first: dict[Any, int] = {}
    for index, value in enumerate(values):
        if value in first:
            raise ValueError(
                Messages.DUPLICATE_KEY.format(
                    field=f"{field}[{index}]", value=value, first=f"{field}[{first[value]}]"
                )
            )
        first[value] = index


def field_path(loc: Sequence[int | str]) -> str:
    """``("items", 0, "slip")`` -> ``items[0].slip``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(value: Any) -> str:
    if isinstance(value, str | list | dict | tuple):
        return str(len(value))
    return _number(value)


def _bound(prefix: str, relation: str, bound_key: str) -> Callable[[str, ErrorDetails], str]:
    # Numeric bounds show the value as given (a parameter as sent, a JSON number as parsed);
    # length bounds show the length.
    numeric = bound_key in {"ge", "gt", "le", "lt"}

    def render(path: str, error: ErrorDetails) -> str:
        ctx = error.get("ctx") or {}
        value = error.get("input")
        shown = _number(value) if numeric else _shown(value)
        actual = ctx.get("actual_length", shown)
        bound = _number(ctx.get(bound_key))
        return f"{prefix} of field {path} ({actual}) must be {relation} {bound}"

    return render


def _too_short(path: str, error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    actual = ctx.get("actual_length", _shown(error.get("input")))
    if error["type"] == "too_short" and str(actual) == "0":
        return f"Collection of field {path} must not be empty"
    minimum = ctx.get("min_length")
    return f"Value / length of field {path} ({actual}) must be greater than or equal to {minimum}"


def _expected(kind: str) -> Callable[[str, ErrorDetails], str]:
    return lambda path, _error: f"Value of field {path} must be {kind}"


def _enum(path: str, error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    return f"Value of field {path} ('{error.get('input')}') must be one of {ctx.get('expected')}"


def _pattern(path: str, error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    return f"Value of field {path} must match the pattern: '{ctx.get('pattern')}'"


def _between(path: str, error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    return Messages.BETWEEN.format(
        field=path, value=error.get("input"), minimum=ctx.get("minimum"), maximum=ctx.get("maximum")
    )


def _custom(path: str, error: ErrorDetails) -> str:
    # Our own validators raise ValueError with the whole sentence after "Value error, ".
    message = error["msg"].removeprefix("Value error, ")
    return message.replace("{field}", path)


TEMPLATES: Mapping[str, Callable[[str, ErrorDetails], str]] = {
    "missing": lambda path, _error: f"Missing field {path}",
    "string_too_long": _bound("Value / length", "less than or equal to", "max_length"),
    "too_long": _bound("Value / length", "less than or equal to", "max_length"),
    "string_too_short": _too_short,
    "too_short": _too_short,
    "greater_than_equal": _bound("Value / length", "greater than or equal to", "ge"),
    "greater_than": _bound("Value / length", "greater than", "gt"),
    "less_than_equal": _bound("Value / length", "less than or equal to", "le"),
    "less_than": _bound("Value / length", "less than", "lt"),
    "string_pattern_mismatch": _pattern,
    "enum": _enum,
    "literal_error": _enum,
    "int_type": _expected("an integer"),
    "int_parsing": _expected("an integer"),
    "int_from_float": _expected("an integer"),
    "int_parsing_size": _expected("an integer"),
    "float_type": _expected("a number"),
    "float_parsing": _expected("a number"),
    "decimal_type": _expected("a number"),
    "decimal_parsing": _expected("a number"),
    "decimal_max_places": lambda path, _error: f"Value of field {path} has too high scale",
    "string_type": _expected("a string"),
    "bool_type": _expected("a boolean"),
    "bool_parsing": _expected("a boolean"),
    "list_type": _expected("an array"),
    "model_type": _expected("an object"),
    "dict_type": _expected("an object"),
    "model_attributes_type": _expected("an object"),
    "date_type": _expected("a date"),
    "date_parsing": _expected("a date"),
    "date_from_datetime_parsing": _expected("a date"),
    "datetime_type": _expected("a date-time"),
    "datetime_parsing": _expected("a date-time"),
    "datetime_from_date_parsing": _expected("a date-time"),
    "set_item_not_hashable": _expected("a list of unique values"),
    "extra_forbidden": lambda path, _error: f"Unrecognized field {path}",
    # Date parameters (contract/parameters.py): the value as sent.
    "day_format": lambda path, error: Messages.BAD_DATE.format(
        field=path, pattern=(error.get("ctx") or {}).get("pattern"), value=error.get("input")
    ),
    "date_time_format": lambda path, error: Messages.BAD_DATE_TIME.format(
        field=path, value=error.get("input")
    ),
    "date_range": _between,
    "value_error": _custom,
    "assertion_error": _custom,
}


def _generic(path: str, error: ErrorDetails) -> str:
    return f"Value of field {path} is invalid: {error['msg']}"


def violation_message(error: ErrorDetails) -> str:
    loc = list(error["loc"])
    if loc and loc[0] in _SOURCE_PREFIXES:
        loc = loc[1:]
    path = field_path(loc) or "body"
    return TEMPLATES.get(error["type"], _generic)(path, error)


def violations(errors: Iterable[ErrorDetails]) -> list[ErrorDetail]:
    """One ``BAD_REQUEST`` entry per violation, in pydantic's order."""
    details: list[ErrorDetail] = []
    for error in errors:
        if error["type"] == "json_invalid":
            ctx = error.get("ctx") or {}
            message = Messages.JSON.format(detail=ctx.get("error", error["msg"]))
        else:
            message = violation_message(error)
        details.append(ErrorDetail(ErrorCode.BAD_REQUEST, message))
    return details


def bad_request_from(exc: ValidationError) -> BadRequest:
    return BadRequest(errors=violations(exc.errors(include_url=False)))


NUL = "\x00"
# In JSON a NUL inside a string can only be written as this escape (a raw one is a JSON error).
_NUL_ESCAPE = b"\\u0000"


def nul_violations(document: BaseModel, body: bytes) -> list[ErrorDetail]:
    """One entry per text value of a request ``document`` (parsed from ``body``) that holds the
    NUL character, named by its path as sent (``trackCode``, ``items[0].offerName``).

    One rule for every request model, on both databases: PostgreSQL's text cannot hold NUL and
    SQLite's can, so without it the same request would be stored on one and a 500 on the other.
    A body without the escape holds no NUL and is not walked."""
    if _NUL_ESCAPE not in body:
        return []
    found: list[str] = []
    _find_nul(document, "", found)
    return [
        ErrorDetail(ErrorCode.BAD_REQUEST, Messages.NUL_CHARACTER.format(field=path))
        for path in found
    ]


def _find_nul(value: object, path: str, found: list[str]) -> None:
    if isinstance(value, str):
        if NUL in value:
            found.append(path or "body")
    elif isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            key = field.alias or name
            _find_nul(getattr(value, name), f"{path}.{key}" if path else key, found)
        for key, extra in (value.model_extra or {}).items():
            _find_nul(extra, f"{path}.{key}" if path else key, found)
    elif isinstance(value, SecretStr):
        _find_nul(value.get_secret_value(), path, found)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _find_nul(key, path, found)
            _find_nul(item, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _find_nul(item, f"{path}[{index}]", found)
