"""Secrets kept in the data dir (the sandbox token, the demo Api-Key), readable by the owner."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once: a reader (another instance starting on the same
    data dir, a CLI command) finds the old file or the new one, never an empty one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0o600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_private(path: Path) -> str | None:
    """The file's first line, or None when it is missing, unreadable or empty."""
    try:
        return path.read_text().strip() or None
    except OSError:
        return None
