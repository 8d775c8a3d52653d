"""Which Partner API operation a (method, canonical path) names, from the operation table.

Paths are canonical (R-072: without ``/v2`` and ``.json``). A template parameter matches one
path segment; its value is checked later, after authentication, so that a caller without
credentials learns nothing about the path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from dbskit.contract.operations import OPERATIONS, Operation

_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class OperationMatch:
    operation: Operation
    path_params: dict[str, str]


def _compile(template: str) -> re.Pattern[str]:
    pattern = ""
    position = 0
    for parameter in _PARAMETER.finditer(template):
        pattern += re.escape(template[position : parameter.start()])
        pattern += f"(?P<{parameter.group(1)}>[^/]+)"
        position = parameter.end()
    pattern += re.escape(template[position:])
    return re.compile(pattern)


_STATIC: Final = {
    (operation.method, operation.path): operation
    for operation in OPERATIONS
    if "{" not in operation.path
}
_TEMPLATED: Final = tuple(
    (operation, _compile(operation.path)) for operation in OPERATIONS if "{" in operation.path
)


def match_operation(method: str, path: str) -> OperationMatch | None:
    if method == "HEAD":
        method = "GET"  # a HEAD runs the GET handler, so it is judged like the GET
    static = _STATIC.get((method, path))
    if static is not None:
        return OperationMatch(static, {})
    for operation, pattern in _TEMPLATED:
        if operation.method != method:
            continue
        found = pattern.fullmatch(path)
        if found is not None:
            return OperationMatch(operation, found.groupdict())
    return None


_PATHS: Final = frozenset(path for _method, path in _STATIC)


def path_exists(path: str) -> bool:
    """Whether some operation has this path, whatever its method (405 rather than 404)."""
    return path in _PATHS or any(pattern.fullmatch(path) for _op, pattern in _TEMPLATED)


def allowed_methods(path: str) -> tuple[str, ...]:
    """The methods of the operations on this path, for a 405's ``Allow`` header (HEAD with GET,
    as ``match_operation`` takes it); empty when no operation has the path."""
    methods = {method for method, static in _STATIC if static == path}
    methods.update(op.method for op, pattern in _TEMPLATED if pattern.fullmatch(path))
    if "GET" in methods:
        methods.add("HEAD")
    return tuple(sorted(methods))
