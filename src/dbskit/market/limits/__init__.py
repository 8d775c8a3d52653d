"""Request limits of the Partner API: hourly budgets and parallel requests (R-083..R-086)."""

from dbskit.market.limits.limiter import Admission, Limiter
from dbskit.market.limits.middleware import PartnerApiLimits
from dbskit.market.limits.storage import (
    CounterStorage,
    CountersUnavailable,
    MemoryCounters,
    counter_storage,
)

__all__ = [
    "Admission",
    "CounterStorage",
    "CountersUnavailable",
    "Limiter",
    "MemoryCounters",
    "PartnerApiLimits",
    "counter_storage",
]
