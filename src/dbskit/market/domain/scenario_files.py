"""Reading a scenario file (YAML, JSON or TOML) into a checked ``Scenario``: pure, no storage.

Every format becomes the same JSON document, read strictly by the contract's models, so a field
takes exactly what the matching /sandbox call takes and is refused with the same message. A
message about an entry starts with the entry's index and name: ``Entry entries[2] (late-order):
Missing field order.items``. Names are checked before anything is written: unique, and each
reference names an earlier entry of the kind it needs.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from enum import Enum
from typing import Any, Final

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from dbskit.contract.errors import BadRequest, ErrorDetail, Messages
from dbskit.contract.sandbox_scenarios import EntryKind, Scenario, ScenarioEntry
from dbskit.contract.validation import nul_violations, violation_message


class ScenarioFormat(Enum):
    JSON = "JSON"
    YAML = "YAML"
    TOML = "TOML"


class InvalidScenario(BadRequest):
    pass


# --- Text to a JSON document ----------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML's safe subset, with two refusals: no anchors or aliases (a small file could expand
    past every limit), and timestamps kept as the text written (the models read ISO 8601 text,
    as they do from JSON)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                problem="anchors and aliases (*name) are not accepted",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_TOML_TIMES: Final = (datetime, date, time)


def _toml_value(value: object) -> object:
    """TOML's own dates and times as ISO 8601 text, like YAML's and JSON's."""
    if isinstance(value, _TOML_TIMES):
        return value.isoformat()
    raise TypeError(f"a value of type {type(value).__name__}")


def to_json_document(body: bytes, fmt: ScenarioFormat) -> bytes:
    """The file as JSON bytes, or 400 naming what cannot be read and where."""
    if not body.strip():
        raise InvalidScenario(Messages.UNEXPECTED_END)
    if fmt is ScenarioFormat.JSON:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1]
        raise InvalidScenario(
            Messages.UNEXPECTED_CHARACTER.format(character=f"0x{bad.hex().upper()}")
        ) from None
    try:
        if fmt is ScenarioFormat.TOML:
            return json.dumps(
                tomllib.loads(text), default=_toml_value, allow_nan=False, ensure_ascii=False
            ).encode()
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
        return json.dumps(document, allow_nan=False, ensure_ascii=False).encode()
    except tomllib.TOMLDecodeError as exc:
        raise InvalidScenario(f"TOML: {exc}") from None
    except yaml.YAMLError as exc:
        raise InvalidScenario(f"YAML: {_one_line(str(exc))}") from None
    except RecursionError:
        raise InvalidScenario(f"{fmt.value}: the document is nested too deeply") from None
    except (TypeError, ValueError) as exc:
        # Binary (!!binary), NaN and infinity: YAML values with no JSON equivalent.
        raise InvalidScenario(f"{fmt.value}: a value with no JSON equivalent ({exc})") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- A JSON document to a checked Scenario --------------------------------------------------


def read_scenario(body: bytes, fmt: ScenarioFormat) -> Scenario:
    """The checked scenario, or 400 with one entry per violation."""
    document = to_json_document(body, fmt)
    try:
        scenario = Scenario.model_validate_json(document, strict=True)
    except ValidationError as exc:
        raw = _raw_entries(document)
        raise InvalidScenario(
            errors=[_violation(error, raw) for error in exc.errors(include_url=False)]
        ) from None
    nul = nul_violations(scenario, document)
    if nul:
        raise InvalidScenario(errors=nul)
    check_names(scenario.entries)
    return scenario


def _raw_entries(document: bytes) -> Sequence[Any]:
    """The entries as given, to name an entry whose own fields were refused."""
    try:
        parsed = json.loads(document)
    except (ValueError, RecursionError):
        return []
    entries = parsed.get("entries") if isinstance(parsed, Mapping) else None
    return entries if isinstance(entries, list) else []


def entry_label(index: int, name: object) -> str:
    shown = f"({name})" if isinstance(name, str) and name else "(no name)"
    return f"Entry entries[{index}] {shown}"


def _violation(error: ErrorDetails, raw: Sequence[Any]) -> ErrorDetail:
    loc = list(error["loc"])
    if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
        index = loc[1]
        given = raw[index] if index < len(raw) else None
        name = given.get("name") if isinstance(given, Mapping) else None
        inner: ErrorDetails = {**error, "loc": tuple(loc[2:])}
        message = violation_message(inner)
        if not loc[2:]:
            message = message.replace("field body", "the entry")
        return ErrorDetail(InvalidScenario.default_code, f"{entry_label(index, name)}: {message}")
    return ErrorDetail(InvalidScenario.default_code, violation_message(error))


# Which kind each reference field needs.
_REFERENCES: Final[dict[EntryKind, tuple[str, EntryKind]]] = {
    EntryKind.CAMPAIGN: ("business", EntryKind.BUSINESS),
    EntryKind.KEY: ("business", EntryKind.BUSINESS),
    EntryKind.ORDER: ("campaign", EntryKind.CAMPAIGN),
    EntryKind.CANCELLATION_REQUEST: ("order", EntryKind.ORDER),
}


def reference_of(entry: ScenarioEntry) -> str | None:
    """The name an entry refers to, if it refers to one."""
    found = _REFERENCES.get(entry.kind)
    if found is None:
        return None
    value = getattr(entry.body(entry.kind), found[0])
    return value if isinstance(value, str) else None


def check_names(entries: Sequence[ScenarioEntry]) -> None:
    """Names are unique; a reference names an earlier entry of the kind it needs."""
    seen: dict[str, tuple[int, EntryKind]] = {}
    errors: list[ErrorDetail] = []
    for index, entry in enumerate(entries):
        label = entry_label(index, entry.name)
        if entry.name in seen:
            first = seen[entry.name][0]
            errors.append(
                ErrorDetail(
                    InvalidScenario.default_code,
                    f"{label}: Value of field name ({entry.name}) is already the name of "
                    f"entries[{first}]",
                )
            )
            continue
        wanted = _REFERENCES.get(entry.kind)
        target = reference_of(entry)
        if wanted is not None and target is not None:
            field = f"{entry.kind.value}.{wanted[0]}"
            if target not in seen:
                errors.append(
                    ErrorDetail(
                        InvalidScenario.default_code,
                        f"{label}: Value of field {field} ({target}) names no earlier entry",
                    )
                )
            elif seen[target][1] is not wanted[1]:
                errors.append(
                    ErrorDetail(
                        InvalidScenario.default_code,
                        f"{label}: Value of field {field} ({target}) names a "
                        f"{seen[target][1].value} entry, not a {wanted[1].value}",
                    )
                )
        seen[entry.name] = (index, entry.kind)
    if errors:
        raise InvalidScenario(errors=errors)
