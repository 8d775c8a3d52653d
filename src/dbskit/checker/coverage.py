"""Where the store's data say it delivers: which physical delivery types serve a region.

The battery picks its regions with it, and the catalogue checks judge the answers with it, so
both read the store's data the same way.
"""

from __future__ import annotations

from dbskit.contract.enums import DeliveryType
from dbskit.store_data.catalogue import Offer
from dbskit.store_data.data import StoreData

PHYSICAL_TYPES = (DeliveryType.DELIVERY, DeliveryType.PICKUP, DeliveryType.POST)


class Coverage:
    def __init__(self, data: StoreData) -> None:
        self.data = data
        self._served: dict[DeliveryType, list[int]] = {}

    def chain(self, region_id: int) -> tuple[int, ...]:
        return self.data.regions.chain(region_id)

    def serves(self, region_id: int, type_: DeliveryType) -> bool:
        """A rule of ``type_`` covers the region; for PICKUP, an outlet is offered there too."""
        chain = self.chain(region_id)
        if not self.data.rules.nearest(chain, type_):
            return False
        return type_ is not DeliveryType.PICKUP or self.data.rules.outlet_count_for(chain) > 0

    def types(self, region_id: int) -> frozenset[DeliveryType]:
        return frozenset(t for t in PHYSICAL_TYPES if self.serves(region_id, t))

    def served_regions(self, type_: DeliveryType) -> list[int]:
        """Regions served by ``type_``, the most specific first."""
        if type_ not in self._served:
            found = [r.id for r in self.data.regions.regions() if self.serves(r.id, type_)]
            self._served[type_] = sorted(found, key=lambda region_id: -len(self.chain(region_id)))
        return self._served[type_]

    def regions_for(self, offer: Offer, type_: DeliveryType) -> list[int]:
        """Regions served by ``type_`` that ``offer`` may travel to, the most specific first."""
        regions = self.served_regions(type_)
        if not offer.regions:
            return regions
        return [r for r in regions if offer.ships_to(self.chain(r))]
