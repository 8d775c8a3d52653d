"""Sandbox documents of fault injection (``/sandbox/faults``); dbskit's own, not the Market's."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import Field, field_validator, model_validator

from dbskit.contract._base import INT64_MAX, ContractModel
from dbskit.contract.operations import OPERATIONS_BY_ID

# ours: the longest added latency, past any client's sensible timeout yet short of a stuck test
FAULT_LATENCY_MS_MAX: Final = 120_000
# ours: a seed the listing shows and a client can pass back (JSON-safe in every language)
FAULT_SEED_MAX: Final = 2**53 - 1
FAULT_RULES_MAX: Final = 100  # ours: live rules at once; each matching call reads them all


class FaultKind(StrEnum):
    """What an injected fault does to a matched call."""

    HOURLY_LIMIT = "HOURLY_LIMIT"  # 420 as the hourly budget's
    PARALLEL_LIMIT = "PARALLEL_LIMIT"  # 420 as the parallel limit's
    INTERNAL_ERROR = "INTERNAL_ERROR"  # 500 with the Market's envelope
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"  # 503 with the Market's envelope
    DROP_CONNECTION = "DROP_CONNECTION"  # the connection closed, no answer at all
    LATENCY = "LATENCY"  # answered as usual, ``latencyMs`` later


class FaultMode(StrEnum):
    """Which of the matched calls get the fault."""

    NEXT = "NEXT"  # the next ``n`` calls
    EVERY = "EVERY"  # every ``n``th call (the nth, the 2nth, ...)
    SHARE = "SHARE"  # a seeded draw per call: about ``share`` of them


class FaultRuleCreate(ContractModel):
    """``POST /sandbox/faults``: ``operationId`` (narrowed by ``campaignId``, ``tokenId`` or
    both), the ``fault``, and exactly one of ``next``, ``every`` and ``share``."""

    operation_id: str = Field(alias="operationId", min_length=1, max_length=64)
    campaign_id: int | None = Field(None, alias="campaignId", ge=1, le=INT64_MAX, strict=True)
    token_id: int | None = Field(None, alias="tokenId", ge=1, le=INT64_MAX, strict=True)
    fault: FaultKind
    latency_ms: int | None = Field(
        None, alias="latencyMs", ge=1, le=FAULT_LATENCY_MS_MAX, strict=True
    )
    next: int | None = Field(None, ge=1, le=INT64_MAX, strict=True)
    every: int | None = Field(None, ge=1, le=INT64_MAX, strict=True)
    share: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    seed: int | None = Field(None, ge=0, le=FAULT_SEED_MAX, strict=True)

    @field_validator("operation_id")
    @classmethod
    def _known_operation(cls, value: str) -> str:
        if value not in OPERATIONS_BY_ID:
            raise ValueError("Value of field {field} is not an operationId of the Partner API")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FaultRuleCreate:
        given = [self.next is not None, self.every is not None, self.share is not None]
        if sum(given) != 1:
            raise ValueError("Exactly one of fields next, every and share is required")
        if self.seed is not None and self.share is None:
            raise ValueError("Field seed is for a share only")
        if (self.fault is FaultKind.LATENCY) != (self.latency_ms is not None):
            raise ValueError("Field latencyMs is required with fault LATENCY and only with it")
        if self.campaign_id is not None and not OPERATIONS_BY_ID[self.operation_id].per_campaign:
            raise ValueError(
                FaultsMessages.NO_CAMPAIGN_IN_PATH.format(operation_id=self.operation_id)
            )
        return self

    @property
    def mode(self) -> FaultMode:
        if self.next is not None:
            return FaultMode.NEXT
        return FaultMode.EVERY if self.every is not None else FaultMode.SHARE


class FaultRuleView(ContractModel):
    """A rule as listed: what it matches, what it does, and how many calls it matched
    (``calls``) and faulted (``injected``) so far; ``seed`` is the share's, drawn when none was
    given."""

    id: int
    operation_id: str = Field(alias="operationId")
    campaign_id: int | None = Field(None, alias="campaignId")
    token_id: int | None = Field(None, alias="tokenId")
    fault: FaultKind
    latency_ms: int | None = Field(None, alias="latencyMs")
    next: int | None = None
    every: int | None = None
    share: float | None = None
    seed: int | None = None
    calls: int
    injected: int
    created_at: datetime = Field(alias="createdAt")


class FaultRuleList(ContractModel):
    """``GET /sandbox/faults``: every rule, oldest first (the order they are tried in)."""

    rules: list[FaultRuleView]


class FaultRulesCleared(ContractModel):
    """``DELETE /sandbox/faults`` and ``DELETE /sandbox/faults/{ruleId}``."""

    deleted: int


class InjectedFault(ContractModel):
    """In a query log entry: the rule that faulted the call, and the fault."""

    rule_id: int = Field(alias="ruleId")
    fault: FaultKind


class FaultsMessages:
    """Texts of the fault rules' and the reset's errors (ours)."""

    RULE_NOT_FOUND = "Fault rule not found: '{rule_id}'"
    TOO_MANY_RULES = "At most {limit} fault rules at once: clear some first"
    NO_CAMPAIGN_IN_PATH = "Field campaignId: operation {operation_id} has no campaign in its path"
