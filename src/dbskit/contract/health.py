"""``GET /healthz``: whether the served process can reach what it depends on (dbskit's own)."""

from __future__ import annotations

from enum import StrEnum

from dbskit.contract._base import ContractModel


class DependencyState(StrEnum):
    UP = "UP"  # answered a trivial command in time
    DOWN = "DOWN"  # refused, failed or did not answer in time
    NOT_CONFIGURED = "NOT_CONFIGURED"  # this process does not use it (no --redis-url)


class Health(ContractModel):
    """``status`` is ``UP`` (200) when no dependency is ``DOWN``, else ``DOWN`` (503)."""

    status: DependencyState
    database: DependencyState
    redis: DependencyState
