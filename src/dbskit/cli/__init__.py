"""The ``dbskit`` command. Commands are thin: they build settings and call services."""

from __future__ import annotations

from dbskit.cli.main import app, main

__all__ = ["app", "main"]
