"""TOML and YAML documents, read safely, with the line of any path for error messages.

TOML goes through ``tomllib``; YAML through PyYAML's safe loader (no Python objects, no tags).
For YAML the node tree is kept, so a validation error on ``delivery[3].region`` can also name
its line. tomllib keeps no positions: TOML errors after parsing name the path only.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dbskit.store_data.loaders.errors import StoreDataError

TOML_SUFFIXES = frozenset({".toml"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})

_TOML_POSITION = re.compile(
    r"^(?P<reason>.*?)\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$"
)
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Document:
    path: Path
    content: Any
    _root: yaml.Node | None = None

    def line_of(self, location: Sequence[int | str]) -> int | None:
        """1-based line of the value at ``location``, when the format keeps positions."""
        node = self._root
        if node is None:
            return None
        for part in location:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1


def _child(node: yaml.Node, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value  # type: ignore[no-any-return]
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def read_document(path: Path) -> Document:
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreDataError.one(path, "", f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StoreDataError.one(path, f"line {line}", "the file is not UTF-8") from None
    if suffix in TOML_SUFFIXES:
        return _toml(path, text)
    if suffix in YAML_SUFFIXES:
        return _yaml(path, text)
    raise StoreDataError.one(
        path, "", f"unknown settings format {suffix!r}: use .toml, .yaml or .yml"
    )


def _toml(path: Path, text: str) -> Document:
    try:
        return Document(path, tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.match(str(exc))
        if match is None:
            raise StoreDataError.one(path, "", str(exc)) from None
        where = f"line {match['line']}, column {match['column']}"
        raise StoreDataError.one(path, where, match["reason"]) from None


def _yaml(path: Path, text: str) -> Document:
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        content = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = " ".join(filter(None, [exc.context, exc.problem])) or str(exc)
        raise StoreDataError.one(path, where, reason) from None
    except yaml.YAMLError as exc:
        raise StoreDataError.one(path, "", str(exc)) from None
    finally:
        loader.dispose()
    return Document(path, content, root)
