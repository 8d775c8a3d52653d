"""The battery of requests the checker sends, built from the store's data.

Each scenario is a request the Market could send plus what the checker knows about it: which
lines are in stock, short, unavailable or cannot travel to the region, and whether the region is
served at all. The checks compare the store's answers with these facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from dbskit.cart_rules.scenario import Auth, Expect, Line, Scenario
from dbskit.contract.enums import DeliveryType
from dbskit.store_data.catalogue import Offer
from dbskit.store_data.data import StoreData
from dbskit.store_data.loaders import load_store
from dbskit.store_data.loaders.documents import read_document
from dbskit.store_data.loaders.store import (
    DEMO_SETTINGS,
    build_store,
    read_catalogue,
    validate_settings,
)

# A region id the Market's directory does not use, for a region no store serves.
UNSERVED_REGION_ID = 99_999_999
UNKNOWN_OFFER_ID = "dbskit-check-no-such-offer"
_RESTRICTED_TRIED = 20
PHYSICAL_TYPES = (DeliveryType.DELIVERY, DeliveryType.PICKUP, DeliveryType.POST)


class NotEnoughData(ValueError):
    """The store data lack what the battery needs (e.g. no offer in stock)."""


def load_data(feed: Path | None = None, regions: Path | None = None) -> StoreData:
    """The store data the scenarios are built from: the same loaders the store uses.

    ``regions`` is a store settings file (regions, rules, outlets; the demo's when absent);
    ``feed`` replaces the catalogue it names. Raises ``StoreDataError``.
    """
    if feed is None:
        return load_store(regions)
    document = read_document(regions or DEMO_SETTINGS)
    spec = validate_settings(document)
    return build_store(document, spec, read_catalogue(feed, spec))


def outlet_codes(data: StoreData) -> frozenset[str]:
    """The pick-up outlets registered in the store's data (R-064)."""
    return frozenset(served.outlet.code for served in data.rules.outlets())


def build_scenarios(data: StoreData) -> list[Scenario]:
    offers = list(data.catalogue)
    physical = [o for o in offers if not o.digital and o.stock > 0 and not o.regions]
    if not physical:
        raise NotEnoughData("the catalogue has no physical offer in stock that travels anywhere")
    basic = physical[0]
    battery = _Battery(data)
    seen: set[frozenset[DeliveryType]] = set()
    served = [battery.served(type_, basic, seen) for type_ in PHYSICAL_TYPES]
    scenarios = [scenario for scenario in served if scenario is not None]
    if not scenarios:
        raise NotEnoughData("no region is served by a DELIVERY, PICKUP or POST rule")
    home = scenarios[0].body["cart"]["delivery"]["region"]
    in_stock = Line(basic.feed_id, basic.offer_id, 1, Expect.IN_STOCK)
    scenarios.append(battery.unserved(in_stock))
    scenarios.append(
        Scenario(
            "unknown-offer",
            _cart(home, [in_stock, Line(basic.feed_id, UNKNOWN_OFFER_ID, 1, Expect.UNAVAILABLE)]),
            (in_stock, Line(basic.feed_id, UNKNOWN_OFFER_ID, 1, Expect.UNAVAILABLE)),
        )
    )
    sold_out = next((o for o in offers if o.stock == 0 and not o.regions), None)
    if sold_out is not None:
        lines = (in_stock, Line(sold_out.feed_id, sold_out.offer_id, 1, Expect.UNAVAILABLE))
        scenarios.append(Scenario("out-of-stock", _cart(home, lines), lines))
    scarce = min(physical, key=lambda o: o.stock)
    short = (Line(scarce.feed_id, scarce.offer_id, scarce.stock + 1, Expect.SHORT),)
    scenarios.append(Scenario("over-stock", _cart(home, short), short))
    business = {"type": "BUSINESS", "id": "dbskit-check-buyer", "firstName": "Иван"}
    scenarios.append(
        Scenario("business-buyer", _cart(home, [in_stock], buyer=business), (in_stock,))
    )
    digital = next((o for o in offers if o.digital and o.stock > 0 and not o.regions), None)
    if digital is not None:
        line = (Line(digital.feed_id, digital.offer_id, 1, Expect.IN_STOCK),)
        scenarios.append(Scenario("digital-item", _cart(home, line), line))
    promo_line = {
        **in_stock.body(),
        "price": basic.price,
        "subsidy": 100,
        "promos": [{"type": "DIRECT_DISCOUNT", "subsidy": 100, "marketPromoId": "dbskit-check"}],
    }
    scenarios.append(
        Scenario(
            "promos", {"cart": {**_cart(home, [])["cart"], "items": [promo_line]}}, (in_stock,)
        )
    )
    restricted = battery.restricted(offers, in_stock)
    if restricted is not None:
        scenarios.append(restricted)
    malformed = _cart(home, [])
    malformed["cart"]["items"] = [{**in_stock.body(), "count": 0}]
    scenarios.append(Scenario("malformed-request", malformed, expected_status=400))
    valid = _cart(home, [in_stock])
    scenarios.append(Scenario("wrong-token", valid, auth=Auth.WRONG, expected_status=403))
    scenarios.append(Scenario("missing-token", valid, auth=Auth.MISSING, expected_status=403))
    return scenarios


class _Battery:
    def __init__(self, data: StoreData) -> None:
        self.data = data
        self._served: dict[DeliveryType, list[int]] = {}

    def region(self, region_id: int) -> dict[str, Any]:
        """R-043: the region with its parents, as the Market sends it."""
        node: dict[str, Any] | None = None
        for member_id in reversed(self.data.regions.chain(region_id)):
            region = self.data.regions.get(member_id)
            assert region is not None
            node = {"id": region.id, "name": region.name, "type": region.type.value} | (
                {"parent": node} if node is not None else {}
            )
        assert node is not None
        return node

    def _serves(self, region_id: int, type_: DeliveryType) -> bool:
        chain = self.data.regions.chain(region_id)
        if not self.data.rules.nearest(chain, type_):
            return False
        return type_ is not DeliveryType.PICKUP or self.data.rules.outlet_count_for(chain) > 0

    def _served_regions(self, type_: DeliveryType) -> list[int]:
        """Regions served by ``type_``, the most specific first."""
        if type_ not in self._served:
            found = [r.id for r in self.data.regions.regions() if self._serves(r.id, type_)]
            chain = self.data.regions.chain
            self._served[type_] = sorted(found, key=lambda region_id: -len(chain(region_id)))
        return self._served[type_]

    def _types(self, region_id: int) -> frozenset[DeliveryType]:
        return frozenset(t for t in PHYSICAL_TYPES if self._serves(region_id, t))

    def served(
        self, type_: DeliveryType, offer: Offer, seen: set[frozenset[DeliveryType]]
    ) -> Scenario | None:
        """A region served by ``type_``; one served by another mix of types than those seen."""
        regions = self._served_regions(type_)
        if not regions:
            return None
        region_id = next((r for r in regions if self._types(r) not in seen), regions[0])
        seen.add(self._types(region_id))
        line = Line(offer.feed_id, offer.offer_id, 1, Expect.IN_STOCK)
        address = {"country": "Россия", "city": "Город", "street": "Улица", "house": "1"}
        body = _cart(self.region(region_id), [line], address=address)
        return Scenario(f"{type_.value.lower()}-region-{region_id}", body, (line,))

    def unserved(self, line: Line) -> Scenario:
        listed = [
            r.id
            for r in self.data.regions.regions()
            if not any(self._serves(r.id, type_) for type_ in DeliveryType)
        ]
        if listed:
            region = self.region(listed[0])
        else:
            region = {"id": UNSERVED_REGION_ID, "name": "Unserved", "type": "COUNTRY"}
        return Scenario(
            f"unserved-region-{region['id']}", _cart(region, [line]), (line,), unserved=True
        )

    def restricted(self, offers: list[Offer], companion: Line) -> Scenario | None:
        """R-048: an offer that cannot travel to a served region, beside one that can."""
        candidates = (o for o in offers if o.regions and o.stock > 0 and not o.digital)
        # A few candidates suffice: each may ship to every served region, a costly search.
        for offer in islice(candidates, _RESTRICTED_TRIED):
            for type_ in PHYSICAL_TYPES:
                for region_id in self._served_regions(type_):
                    if not offer.ships_to(self.data.regions.chain(region_id)):
                        lines = (
                            companion,
                            Line(offer.feed_id, offer.offer_id, 1, Expect.NOT_DELIVERABLE),
                        )
                        body = _cart(self.region(region_id), list(lines))
                        return Scenario(f"not-deliverable-region-{region_id}", body, lines)
        return None


def _cart(
    region: dict[str, Any],
    lines: Sequence[Line],
    *,
    buyer: dict[str, Any] | None = None,
    address: dict[str, Any] | None = None,
) -> dict[str, Any]:
    delivery: dict[str, Any] = {"region": region}
    if address is not None:
        delivery["address"] = address
    return {
        "cart": {
            "currency": "RUR",
            "deliveryCurrency": "RUR",
            "buyer": buyer or {"type": "PERSON"},
            "delivery": delivery,
            "items": [line.body() for line in lines],
        }
    }
