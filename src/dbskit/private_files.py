"""Secrets kept in the data dir (the sandbox token, the demo Api-Key), readable by the owner."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def read_private(path: Path) -> str | None:
    """The file's first line, or None when it is missing, unreadable or empty."""
    try:
        return path.read_text().strip() or None
    except OSError:
        return None
