"""How dbskit's own documents mark a call to a deprecated method (docs/decisions.md, "Deprecated
methods (OQ-29)"): the figures of the 2026 spec's ``x-deprecation-config``."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from dbskit.contract._base import ContractModel


class DeprecationMark(ContractModel):
    """The method is deprecated: what replaces it, when it degrades and when it stops."""

    replacement: str  # the operationId to use instead
    degradation_start: date = Field(alias="degradationStart")
    shutdown: date
