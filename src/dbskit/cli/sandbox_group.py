"""``dbskit sandbox``: the group and every module that adds commands to it, imported together
when a sandbox command runs (``cli/main.py`` loads this module lazily). A new module of sandbox
commands registers here."""

from __future__ import annotations

from dbskit.cli import sandbox_inspect, sandbox_scenarios, sandbox_triggers
from dbskit.cli.sandbox import app

sandbox_triggers.register(app)
sandbox_inspect.register(app)
sandbox_scenarios.register(app)

__all__ = ["app"]
