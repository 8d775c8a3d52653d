"""Access to the official reference material beside the repository (``../shared/reference``).

It is there in development and CI, not on a user's machine: tests that need it skip with a clear
message when it is absent. Nothing at run time reads it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest


def _find_reference_dir() -> Path:
    """``shared/reference`` beside the repository (or beside a folder that holds the checkout)."""
    repo = Path(__file__).resolve().parents[1]
    for folder in repo.parents:
        candidate = folder / "shared" / "reference"
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared" / "reference"


REFERENCE_DIR = _find_reference_dir()
SPEC_PATH = REFERENCE_DIR / "openapi" / "partner-api-dbs.yaml"


def require_reference(path: Path = SPEC_PATH) -> Path:
    if not path.exists():
        pytest.skip(f"reference material not found at {path} (it lives beside the repository)")
    return path


@functools.cache
def _load_spec(path: Path) -> dict[str, Any]:
    import yaml

    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def reference_spec() -> dict[str, Any]:
    """The official OpenAPI document cut to dbskit's methods (skips the test when absent)."""
    return _load_spec(require_reference())


def spec_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (HTTP method, path, operation object) from the reference spec."""
    found: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in reference_spec()["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (method.upper(), path, operation)
    return found
