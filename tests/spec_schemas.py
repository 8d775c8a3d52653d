"""Validate an answer body against a schema of the reference spec (``partner-api-dbs.yaml``).

OpenAPI 3.0 schemas become JSON Schema: ``nullable`` turns into a ``null`` type and the Market's
own date formats (``date-dd-MM-yyyy``, ``date-dd-MM-yyyy-HH-mm-ss``) are checked. The spec lives
beside the repository; without it the calling test is skipped (``tests.reference``).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from tests.reference import reference_spec


def _json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and "type" in node:
        converted["type"] = [node["type"], "null"]
    elif node.get("nullable"):
        converted = {"anyOf": [converted, {"type": "null"}]}
    return converted


@functools.cache
def _components() -> dict[str, Any]:
    converted: dict[str, Any] = _json_schema(reference_spec()["components"])
    return converted


def _format_checker() -> Any:
    import jsonschema

    checker = jsonschema.FormatChecker()

    @checker.checks("date-dd-MM-yyyy", raises=ValueError)
    def _day(value: object) -> bool:
        return not isinstance(value, str) or bool(datetime.strptime(value, "%d-%m-%Y"))

    @checker.checks("date-dd-MM-yyyy-HH-mm-ss", raises=ValueError)
    def _moment(value: object) -> bool:
        return not isinstance(value, str) or bool(datetime.strptime(value, "%d-%m-%Y %H:%M:%S"))

    return checker


def assert_matches_schema(body: Any, schema_name: str) -> None:
    """Fail with every violation when ``body`` does not match ``components.schemas.<name>``."""
    import jsonschema

    components = _components()
    if schema_name not in components["schemas"]:
        raise AssertionError(f"the reference spec has no schema {schema_name!r}")
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    validator = jsonschema.Draft7Validator(schema, format_checker=_format_checker())
    errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
        raise AssertionError(f"body does not match {schema_name}:\n  " + "\n  ".join(lines))
