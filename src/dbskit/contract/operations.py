"""One row per Partner API operation: method, path, accepted scopes and limits per profile.

The table feeds routing checks, the scope check, the limiter and the docs; a test compares it with
the reference spec's ``x-auth-scopes`` and ``x-resource-limit-config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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
class Deprecation:
    """The spec's ``x-deprecation-config``: the method degrades, then is shut down."""

    degradation_start: date
    shutdown: date
    replacement: str  # the operation id to use instead


# Paths of the 2026 spec's v1 methods keep their prefix: they have no other spelling.
V1_PREFIX: Final = "/v1"


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    # Canonical: a v2 path without the /v2 prefix, any path without the .json suffix.
    path: str
    scopes: frozenset[Scope]
    limits: dict[Profile, RateLimit]
    rules: tuple[str, ...]
    deprecation: Deprecation | None = None

    @property
    def per_campaign(self) -> bool:
        """Budgets count per campaign where the path has one, else per business (R-083)."""
        return "{campaignId}" in self.path

    @property
    def documented_path(self) -> str:
        """The path as the spec writes it."""
        if self.path.startswith(V1_PREFIX + "/"):
            return self.path
        return limits.API_VERSION_PREFIX + self.path

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


def _spec_only_limits(per_hour: int, parallel: int) -> dict[Profile, RateLimit]:
    """A method only the 2026 spec has: its figures under either profile."""
    limit = RateLimit(per_hour, parallel)
    return {Profile.SEED: limit, Profile.SPEC_2026: limit}


_BUSINESS_ORDERS_READ: Final = _ORDER_READ - {Scope.COMMUNICATION}
# spec x-deprecation-config of getOrder and getOrders
_ORDER_READS_DEPRECATION: Final = Deprecation(
    degradation_start=date(2027, 1, 18),
    shutdown=date(2027, 4, 12),
    replacement="getBusinessOrders",
)


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
        _ORDER_READS_DEPRECATION,
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
        _ORDER_READS_DEPRECATION,
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
    Operation(
        "getBusinessOrders",
        "POST",
        V1_PREFIX + "/businesses/{businessId}/orders",
        _BUSINESS_ORDERS_READ,
        _spec_only_limits(limits.BUSINESS_ORDERS_HOURLY_LIMIT, limits.BUSINESS_ORDERS_PARALLEL),
        ("R-120",),
    ),
    Operation(
        "acceptOrderCancellation",
        "PUT",
        f"{_ORDER_PATH}/cancellation/accept",
        _ORDER_WRITE,
        _spec_only_limits(
            limits.ACCEPT_CANCELLATION_HOURLY_LIMIT, limits.PARALLEL_REQUESTS_PER_TOKEN
        ),
        ("R-102",),
    ),
)

OPERATIONS_BY_ID: Final = {operation.operation_id: operation for operation in OPERATIONS}


def operation(operation_id: str) -> Operation:
    return OPERATIONS_BY_ID[operation_id]
