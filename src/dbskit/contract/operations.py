"""One row per Partner API operation: method, path, accepted scopes and limits per profile.

The table feeds routing checks, the scope check, the limiter and the docs; a test compares it with
the reference spec's ``x-auth-scopes`` and ``x-resource-limit-config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from dbskit.contract import limits


class Profile(StrEnum):
    """Which source sets the figures: the seeds (default) or the 2026 spec (RULES.md Conflicts)."""

    SEED = "seed"
    SPEC_2026 = "2026"


class Scope(StrEnum):
    """Api-Key access scopes (R-077, docs:access.md)."""

    ALL_METHODS = "all-methods"
    ALL_METHODS_READ_ONLY = "all-methods:read-only"
    INVENTORY_AND_ORDER_PROCESSING = "inventory-and-order-processing"
    INVENTORY_AND_ORDER_PROCESSING_READ_ONLY = "inventory-and-order-processing:read-only"
    PRICING = "pricing"
    PRICING_READ_ONLY = "pricing:read-only"
    OFFERS_AND_CARDS_MANAGEMENT = "offers-and-cards-management"
    OFFERS_AND_CARDS_MANAGEMENT_READ_ONLY = "offers-and-cards-management:read-only"
    PROMOTION = "promotion"
    PROMOTION_READ_ONLY = "promotion:read-only"
    FINANCE_AND_ACCOUNTING = "finance-and-accounting"
    COMMUNICATION = "communication"
    SETTINGS_MANAGEMENT = "settings-management"
    SUPPLIES_MANAGEMENT_READ_ONLY = "supplies-management:read-only"


_ORDER_WRITE: Final = frozenset({Scope.ALL_METHODS, Scope.INVENTORY_AND_ORDER_PROCESSING})
_ORDER_READ: Final = frozenset(
    {
        Scope.ALL_METHODS,
        Scope.ALL_METHODS_READ_ONLY,
        Scope.INVENTORY_AND_ORDER_PROCESSING,
        Scope.INVENTORY_AND_ORDER_PROCESSING_READ_ONLY,
        Scope.COMMUNICATION,
        Scope.FINANCE_AND_ACCOUNTING,
    }
)
_IDENTIFIERS_READ: Final = frozenset(
    {
        Scope.ALL_METHODS,
        Scope.ALL_METHODS_READ_ONLY,
        Scope.INVENTORY_AND_ORDER_PROCESSING,
        Scope.INVENTORY_AND_ORDER_PROCESSING_READ_ONLY,
    }
)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """An hourly budget and, where the source sets one, a parallel-request cap."""

    per_hour: int
    parallel: int = limits.PARALLEL_REQUESTS_PER_TOKEN


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str  # canonical, without the /v2 prefix and the .json suffix
    scopes: frozenset[Scope]
    limits: dict[Profile, RateLimit]
    rules: tuple[str, ...]

    @property
    def per_campaign(self) -> bool:
        """Budgets count per campaign where the path has one, else per business (R-083)."""
        return "{campaignId}" in self.path

    def limit(self, profile: Profile) -> RateLimit:
        return self.limits[profile]


def _limits(
    seed: int, spec_2026: int, *, parallel_2026: int | None = None
) -> dict[Profile, RateLimit]:
    return {
        Profile.SEED: RateLimit(seed),
        Profile.SPEC_2026: RateLimit(
            spec_2026, parallel_2026 or limits.PARALLEL_REQUESTS_PER_TOKEN
        ),
    }


_ORDER_PATH: Final = "/campaigns/{campaignId}/orders/{orderId}"

OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        "provideOrderDigitalCodes",
        "POST",
        f"{_ORDER_PATH}/deliverDigitalGoods",
        _ORDER_WRITE,
        _limits(
            limits.SEED_HOURLY_LIMIT,
            limits.SPEC_2026_HOURLY_LIMIT,
            parallel_2026=limits.PARALLEL_REQUESTS_2026,
        ),
        ("R-001", "R-002", "R-014"),
    ),
    Operation(
        "setOrderDeliveryTrackCode",
        "POST",
        f"{_ORDER_PATH}/delivery/track",
        _ORDER_WRITE,
        _limits(limits.SEED_HOURLY_LIMIT, limits.SPEC_2026_HOURLY_LIMIT),
        ("R-015", "R-016", "R-022"),
    ),
    Operation(
        "provideOrderItemIdentifiers",
        "PUT",
        f"{_ORDER_PATH}/identifiers",
        _ORDER_WRITE,
        _limits(limits.SEED_HOURLY_LIMIT, limits.SPEC_2026_HOURLY_LIMIT),
        ("R-023", "R-024", "R-036"),
    ),
    Operation(
        "getOrderIdentifiersStatus",
        "POST",
        f"{_ORDER_PATH}/identifiers/status",
        _IDENTIFIERS_READ,
        _limits(limits.SEED_HOURLY_LIMIT, limits.SPEC_2026_IDENTIFIERS_STATUS_LIMIT),
        ("R-121",),
    ),
    Operation(
        "getOrder",
        "GET",
        _ORDER_PATH,
        _ORDER_READ,
        _limits(
            limits.SEED_HOURLY_LIMIT,
            limits.SPEC_2026_HOURLY_LIMIT,
            parallel_2026=limits.PARALLEL_REQUESTS_2026,
        ),
        ("R-119",),
    ),
    Operation(
        "getOrders",
        "GET",
        "/campaigns/{campaignId}/orders",
        _ORDER_READ,
        _limits(
            limits.SEED_HOURLY_LIMIT,
            limits.SPEC_2026_HOURLY_LIMIT,
            parallel_2026=limits.PARALLEL_REQUESTS_2026,
        ),
        ("R-120",),
    ),
    Operation(
        "updateOrderStatus",
        "PUT",
        f"{_ORDER_PATH}/status",
        _ORDER_WRITE,
        _limits(limits.SEED_HOURLY_LIMIT, limits.SPEC_2026_HOURLY_LIMIT),
        ("R-104",),
    ),
    Operation(
        "getDeliveryServices",
        "GET",
        "/delivery/services",
        frozenset(Scope),
        _limits(limits.DELIVERY_SERVICES_HOURLY_LIMIT, limits.DELIVERY_SERVICES_HOURLY_LIMIT),
        ("R-118",),
    ),
)

OPERATIONS_BY_ID: Final = {operation.operation_id: operation for operation in OPERATIONS}


def operation(operation_id: str) -> Operation:
    return OPERATIONS_BY_ID[operation_id]
