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
from dbskit.checker.coverage import PHYSICAL_TYPES, Coverage
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


class NotEnoughData(ValueError):
    """The store data lack what the battery needs (e.g. no offer in stock)."""


def load_data(feed: Path | None = None, regions: Path | None = None) -> StoreData:
    """The store data the scenarios are built from: the same loaders the store uses.

    ``regions`` is a store settings file (regions, rules, outlets); ``feed`` replaces the
    catalogue it names. A feed alone is checked with the demo store's regions, rules and outlets,
    without the demo's offer restrictions: they name the demo's offers. Raises ``StoreDataError``.
    """
    if feed is None:
        return load_store(regions)
    document = read_document(regions or DEMO_SETTINGS)
    spec = validate_settings(document)
    if regions is None:
        spec = spec.model_copy(update={"restrictions": []})
    return build_store(document, spec, read_catalogue(feed, spec))


def outlet_codes(data: StoreData) -> frozenset[str]:
    """The pick-up outlets registered in the store's data (R-064)."""
    return frozenset(served.outlet.code for served in data.rules.outlets())


def build_scenarios(data: StoreData) -> list[Scenario]:
    offers = list(data.catalogue)
    physical = [o for o in offers if not o.digital and o.stock > 0]
    if not physical:
        raise NotEnoughData("the catalogue has no physical offer in stock")
    battery = _Battery(data)
    if not any(battery.coverage.served_regions(type_) for type_ in PHYSICAL_TYPES):
        raise NotEnoughData("no region is served by a DELIVERY, PICKUP or POST rule")
    basic = battery.widest_reach(physical)
    seen: set[frozenset[DeliveryType]] = set()
    served = [battery.served(type_, basic, seen) for type_ in PHYSICAL_TYPES]
    scenarios = [scenario for scenario in served if scenario is not None]
    if not scenarios:
        raise NotEnoughData(
            "no physical offer in stock travels to a region served by a DELIVERY, PICKUP or "
            "POST rule"
        )
    home = scenarios[0].body["cart"]["delivery"]["region"]
    home_chain = data.regions.chain(home["id"])
    in_stock = Line(basic.feed_id, basic.offer_id, 1, Expect.IN_STOCK)
    scenarios.append(battery.unserved(in_stock))
    scenarios.append(
        Scenario(
            "unknown-offer",
            _cart(home, [in_stock, Line(basic.feed_id, UNKNOWN_OFFER_ID, 1, Expect.UNAVAILABLE)]),
            (in_stock, Line(basic.feed_id, UNKNOWN_OFFER_ID, 1, Expect.UNAVAILABLE)),
        )
    )
    sold_out = next((o for o in offers if o.stock == 0 and o.ships_to(home_chain)), None)
    if sold_out is not None:
        lines = (in_stock, Line(sold_out.feed_id, sold_out.offer_id, 1, Expect.UNAVAILABLE))
        scenarios.append(Scenario("out-of-stock", _cart(home, lines), lines))
    scarce = min((o for o in physical if o.ships_to(home_chain)), key=lambda o: o.stock)
    short = (Line(scarce.feed_id, scarce.offer_id, scarce.stock + 1, Expect.SHORT),)
    scenarios.append(Scenario("over-stock", _cart(home, short), short))
    business = {"type": "BUSINESS", "id": "dbskit-check-buyer", "firstName": "Иван"}
    scenarios.append(
        Scenario("business-buyer", _cart(home, [in_stock], buyer=business), (in_stock,))
    )
    digital = next(
        (o for o in offers if o.digital and o.stock > 0 and o.ships_to(home_chain)), None
    )
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
    restricted = battery.restricted(offers, basic)
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
        self.coverage = Coverage(data)

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

    def widest_reach(self, physical: list[Offer]) -> Offer:
        """The offer the served regions are asked about: the first that travels wherever the
        store delivers; else the region-restricted one that reaches the most delivery types."""
        unrestricted = next((o for o in physical if not o.regions), None)
        if unrestricted is not None:
            return unrestricted
        served_types = [t for t in PHYSICAL_TYPES if self.coverage.served_regions(t)]
        best, best_reach = physical[0], -1
        # Each candidate is matched against every served region, a costly search: past the first
        # few, settle for the best so far once it reaches any region.
        for tried, offer in enumerate(physical):
            if tried >= _RESTRICTED_TRIED and best_reach > 0:
                break
            reach = sum(bool(self.coverage.regions_for(offer, t)) for t in served_types)
            if reach > best_reach:
                best, best_reach = offer, reach
            if reach == len(served_types):
                break
        return best

    def served(
        self, type_: DeliveryType, offer: Offer, seen: set[frozenset[DeliveryType]]
    ) -> Scenario | None:
        """A region served by ``type_`` that ``offer`` travels to; one served by another mix of
        types than those seen if there is one."""
        regions = self.coverage.regions_for(offer, type_)
        if not regions:
            return None
        types = self.coverage.types
        region_id = next((r for r in regions if types(r) not in seen), regions[0])
        seen.add(types(region_id))
        line = Line(offer.feed_id, offer.offer_id, 1, Expect.IN_STOCK)
        address = {"country": "Россия", "city": "Город", "street": "Улица", "house": "1"}
        body = _cart(self.region(region_id), [line], address=address)
        return Scenario(f"{type_.value.lower()}-region-{region_id}", body, (line,))

    def unserved(self, line: Line) -> Scenario:
        listed = [
            r.id
            for r in self.data.regions.regions()
            if not any(self.coverage.serves(r.id, type_) for type_ in DeliveryType)
        ]
        if listed:
            region = self.region(listed[0])
        else:
            region = {"id": UNSERVED_REGION_ID, "name": "Unserved", "type": "COUNTRY"}
        return Scenario(
            f"unserved-region-{region['id']}", _cart(region, [line]), (line,), unserved=True
        )

    def restricted(self, offers: list[Offer], basic: Offer) -> Scenario | None:
        """R-048: an offer that cannot travel to a served region, beside one that can."""
        companion = Line(basic.feed_id, basic.offer_id, 1, Expect.IN_STOCK)
        candidates = (
            o for o in offers if o.regions and o.stock > 0 and not o.digital and o is not basic
        )
        chain = self.data.regions.chain
        # A few candidates suffice: each may ship to every served region, a costly search.
        for offer in islice(candidates, _RESTRICTED_TRIED):
            for type_ in PHYSICAL_TYPES:
                for region_id in self.coverage.regions_for(basic, type_):
                    if not offer.ships_to(chain(region_id)):
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
