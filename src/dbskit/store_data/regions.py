"""The store's region tree. A rule or an outlet registered for a region covers its descendants.

Every region's chain (itself, then its ancestors up to the root) is computed once on load, so
finding the nearest region that has a rule costs one dictionary look-up per level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dbskit.contract.cart import RegionType


@dataclass(frozen=True, slots=True)
class Region:
    id: int
    name: str
    type: RegionType
    parent_id: int | None


class RegionTreeError(ValueError):
    """The regions do not form a tree; ``region_id`` names the offending entry."""

    def __init__(self, region_id: int, reason: str) -> None:
        self.region_id = region_id
        self.reason = reason
        super().__init__(f"region {region_id}: {reason}")


class RegionTree:
    def __init__(self, regions: Iterable[Region]) -> None:
        self._regions: dict[int, Region] = {}
        for region in regions:
            if region.id in self._regions:
                raise RegionTreeError(region.id, "the id is listed twice")
            self._regions[region.id] = region
        self._chains: dict[int, tuple[int, ...]] = {}
        for region_id in self._regions:
            self._chain_of(region_id)

    def _chain_of(self, region_id: int) -> tuple[int, ...]:
        known = self._chains.get(region_id)
        if known is not None:
            return known
        # Walk up iteratively until a region whose chain is known (or the root).
        path: list[int] = []
        seen: set[int] = set()
        current: int | None = region_id
        tail: tuple[int, ...] = ()
        while current is not None:
            if current in self._chains:
                tail = self._chains[current]
                break
            if current in seen:
                raise RegionTreeError(region_id, f"its parents loop back to region {current}")
            region = self._regions.get(current)
            if region is None:
                raise RegionTreeError(path[-1], f"parent region {current} is not listed")
            seen.add(current)
            path.append(current)
            current = region.parent_id
        for index in range(len(path) - 1, -1, -1):
            tail = (path[index], *tail)
            self._chains[path[index]] = tail
        return self._chains[region_id]

    def __len__(self) -> int:
        return len(self._regions)

    def __contains__(self, region_id: object) -> bool:
        return region_id in self._regions

    def get(self, region_id: int) -> Region | None:
        return self._regions.get(region_id)

    def regions(self) -> Iterable[Region]:
        return self._regions.values()

    def chain(self, region_id: int) -> tuple[int, ...]:
        """The region and its ancestors, nearest first; ``()`` for an unknown region."""
        return self._chains.get(region_id, ())

    def resolve(self, requested: Sequence[int]) -> tuple[int, ...]:
        """The chain for a region as the Market sent it (its id, then its parents' ids).

        Regions the store does not list are kept in front; from the first listed one on, the
        store's own tree decides the ancestors.
        """
        for index, region_id in enumerate(requested):
            chain = self._chains.get(region_id)
            if chain is not None:
                return (*requested[:index], *chain)
        return tuple(requested)
