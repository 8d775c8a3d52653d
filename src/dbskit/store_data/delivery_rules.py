"""Delivery rules per region and type, and the pick-up outlets they serve.

The nearest region in a chain that has rules of a type decides for that type: a rule for Moscow
overrides one for Russia. Outlets are offered for their own region and its descendants; each
outlet is served by the PICKUP rules of the nearest region above it that has any.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time

from dbskit.contract.cart import CartPaymentMethod, OutletCode
from dbskit.contract.enums import DeliveryType
from dbskit.store_data.regions import RegionTree

# Option ids of pick-up groups are "<rule id>+<extra days>d"; rule ids leave room for that.
PICKUP_GROUP_SEPARATOR = "+"


@dataclass(frozen=True, slots=True)
class Interval:
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class DeliveryRule:
    """How one service delivers to a region (and its descendants).

    ``lead_days`` calendar days after the order day (orders after ``cutoff``, local time, count
    from the next day); a delivery day never falls on ``days_off`` or ``holidays``.
    ``span_days``: for PICKUP and POST, how many days after the first date the latest one is;
    for DELIVERY with intervals, over how many days after the first the intervals are offered.
    """

    id: str
    region_id: int
    type: DeliveryType
    service_name: str
    service_id: int | None
    price: float
    lead_days: int
    cutoff: time
    span_days: int
    intervals: tuple[Interval, ...]
    days_off: frozenset[int]  # date.weekday() values
    holidays: frozenset[date]
    payment_methods: tuple[CartPaymentMethod, ...]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.days_off and day not in self.holidays


@dataclass(frozen=True, slots=True)
class Outlet:
    code: str
    name: str
    region_id: int
    extra_days: int = 0  # on top of the rule's lead time (goods brought from elsewhere)


@dataclass(frozen=True, slots=True)
class ServedOutlet:
    outlet: Outlet
    rules: tuple[DeliveryRule, ...]
    # The answer's ``{"code": ...}``, built once: a city may list thousands of outlets.
    answer: OutletCode


class RuleSetError(ValueError):
    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


class DeliveryRules:
    def __init__(
        self, tree: RegionTree, rules: Iterable[DeliveryRule], outlets: Iterable[Outlet]
    ) -> None:
        self._by_region: dict[tuple[int, DeliveryType], tuple[DeliveryRule, ...]] = {}
        self._rules: dict[str, DeliveryRule] = {}
        for rule in rules:
            if rule.id in self._rules:
                raise RuleSetError(f"rule {rule.id}", "the id is listed twice")
            if rule.region_id not in tree:
                raise RuleSetError(f"rule {rule.id}", f"region {rule.region_id} is not listed")
            self._rules[rule.id] = rule
            key = (rule.region_id, rule.type)
            self._by_region[key] = (*self._by_region.get(key, ()), rule)
        self._outlets: dict[str, ServedOutlet] = {}
        at_region: dict[int, list[ServedOutlet]] = {}
        within: dict[int, list[ServedOutlet]] = {}
        for outlet in outlets:
            if outlet.code in self._outlets:
                raise RuleSetError(f"outlet {outlet.code}", "the code is listed twice")
            chain = tree.chain(outlet.region_id)
            if not chain:
                raise RuleSetError(
                    f"outlet {outlet.code}", f"region {outlet.region_id} is not listed"
                )
            rules = self.nearest(chain, DeliveryType.PICKUP)
            served = ServedOutlet(outlet, rules, OutletCode(code=outlet.code))
            if not served.rules:
                raise RuleSetError(
                    f"outlet {outlet.code}",
                    f"no PICKUP rule covers region {outlet.region_id}",
                )
            self._outlets[outlet.code] = served
            at_region.setdefault(outlet.region_id, []).append(served)
            for region_id in chain:
                within.setdefault(region_id, []).append(served)
        self._at_region = {key: tuple(value) for key, value in at_region.items()}
        self._within = {key: tuple(value) for key, value in within.items()}

    def __len__(self) -> int:
        return len(self._rules)

    @property
    def outlet_count(self) -> int:
        return len(self._outlets)

    def rules(self) -> Iterable[DeliveryRule]:
        return self._rules.values()

    def outlets(self) -> Iterable[ServedOutlet]:
        return self._outlets.values()

    def nearest(self, chain: Sequence[int], type_: DeliveryType) -> tuple[DeliveryRule, ...]:
        for region_id in chain:
            found = self._by_region.get((region_id, type_))
            if found:
                return found
        return ()

    def outlet_count_for(self, chain: Sequence[int]) -> int:
        """``len(outlets_for(chain))`` without building the list."""
        if not chain:
            return 0
        within = len(self._within.get(chain[0], ()))
        return within + sum(len(self._at_region.get(region_id, ())) for region_id in chain[1:])

    def outlets_for(self, chain: Sequence[int]) -> list[ServedOutlet]:
        """R-063: every outlet in the requested region, and those registered for its ancestors."""
        if not chain:
            return []
        found = list(self._within.get(chain[0], ()))
        for region_id in chain[1:]:
            found.extend(self._at_region.get(region_id, ()))
        return found
