"""The values the sandbox commands offer, as ``Literal`` types: ``--help`` lists them without
importing the contract's pydantic modules, and an invalid one is refused before any request.
``tests/unit/test_cli.py`` holds each equal to what the server accepts."""

from __future__ import annotations

from typing import Literal

# contract/sandbox_access.PushAuthMode and TokenType.
PushAuth = Literal["HEADER", "URL"]
TokenKind = Literal["API_KEY", "OAUTH"]
# contract/sandbox_faults.FaultKind.
Fault = Literal[
    "HOURLY_LIMIT",
    "PARALLEL_LIMIT",
    "INTERNAL_ERROR",
    "SERVICE_UNAVAILABLE",
    "DROP_CONNECTION",
    "LATENCY",
]
# The statuses a test order can start in (market/domain/status_model.valid_states) and its
# delivery types (contract/sandbox.SandboxOrderDelivery: every DeliveryType but UNKNOWN).
StartStatus = Literal["PROCESSING", "DELIVERY", "PICKUP", "DELIVERED", "CANCELLED"]
OrderDeliveryType = Literal["DELIVERY", "PICKUP", "POST", "DIGITAL"]
# A buyer's reasons to cancel (market/domain/status_model.BUYER_REASONS).
BuyerReason = Literal[
    "USER_CHANGED_MIND",
    "USER_REFUSED_DELIVERY",
    "USER_REFUSED_PRODUCT",
    "USER_REFUSED_QUALITY",
    "REPLACING_ORDER",
]
