"""Warnings the emulator keeps about accepted Partner API calls (shown in the sandbox order view).

A warning never changes an answer: the call is accepted as the active profile says, and the
sandbox records what a seller should change before the Market stops accepting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WarningCode(StrEnum):
    DEPRECATED_FIELD = "DEPRECATED_FIELD"  # C-03: ``code`` in deliverDigitalGoods
    OVER_CURRENT_SPEC_LIMIT = "OVER_CURRENT_SPEC_LIMIT"  # C-04: a key over 256 characters
    DEPRECATED_AUTHORIZATION = "DEPRECATED_AUTHORIZATION"  # an OAuth token


# The rule each warning reflects, shown beside it.
WARNING_RULES: dict[WarningCode, str] = {
    WarningCode.DEPRECATED_FIELD: "C-03",
    WarningCode.OVER_CURRENT_SPEC_LIMIT: "C-04",
    WarningCode.DEPRECATED_AUTHORIZATION: "R-074",
}

OAUTH_DEPRECATED = (
    "OAuth authorization is deprecated: send an Api-Key token in the Api-Key header instead"
)


@dataclass(frozen=True, slots=True)
class CallWarning:
    code: WarningCode
    message: str

    @property
    def rule(self) -> str:
        return WARNING_RULES[self.code]
