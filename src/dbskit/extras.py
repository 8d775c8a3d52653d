"""The optional parts of dbskit and the packages they need.

Serving on the embedded SQLite needs nothing beyond the base install; PostgreSQL
(``--database-url postgresql://…``) and shared limit counters (``--redis-url``) need their
drivers, installed with ``pip install 'dbskit[postgres]'`` or ``'dbskit[redis]'``.
"""

from __future__ import annotations

import importlib.util

__all__ = ["MissingExtra", "require_extra"]

# extra -> the module its driver provides
EXTRAS = {"postgres": "psycopg", "redis": "redis"}


class MissingExtra(RuntimeError):
    """An option was given whose driver is not installed."""


def require_extra(extra: str, purpose: str) -> None:
    """Raise ``MissingExtra`` naming the install command when ``extra``'s driver is missing."""
    if importlib.util.find_spec(EXTRAS[extra]) is None:
        raise MissingExtra(
            f"{purpose} needs the {EXTRAS[extra]} package: pip install 'dbskit[{extra}]'"
        )
