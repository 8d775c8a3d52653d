"""dbskit's pytest plugin: a real ``dbskit serve`` per test session, and a helper per test.

The plugin itself is ``dbskit.testing.plugin`` (the ``pytest11`` entry point ``dbskit``); it
loads into every pytest run of an environment where dbskit is installed, so it imports nothing
heavy until a test asks for one of its fixtures. ``DbskitHelper`` is what the ``dbskit`` fixture
hands a test, ``SandboxControl`` what ``dbskit_server.control`` holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbskit.testing.control import SandboxCallError, SandboxControl
    from dbskit.testing.helper import DbskitHelper, SandboxClock
    from dbskit.testing.server import DbskitServer

__all__ = [
    "DbskitHelper",
    "DbskitServer",
    "SandboxCallError",
    "SandboxClock",
    "SandboxControl",
]

_HOMES = {
    "DbskitHelper": "dbskit.testing.helper",
    "SandboxClock": "dbskit.testing.helper",
    "SandboxCallError": "dbskit.testing.control",
    "SandboxControl": "dbskit.testing.control",
    "DbskitServer": "dbskit.testing.server",
}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use: importing the plugin stays cheap."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'dbskit.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
