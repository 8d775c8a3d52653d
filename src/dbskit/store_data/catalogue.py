"""The store's catalogue: what it sells, how many it has, and where each offer may travel."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from dbskit.contract.cart import sku_key
from dbskit.contract.enums import Vat


@dataclass(frozen=True, slots=True)
class Offer:
    feed_id: int
    offer_id: str
    name: str
    price: float
    stock: int
    digital: bool
    seller_inn: str | None
    vat: Vat
    # Regions (with their descendants) this offer may be delivered to; empty: wherever the store
    # delivers. Keys are region ids from the store's region tree.
    regions: frozenset[int] = frozenset()

    def ships_to(self, chain: Iterable[int]) -> bool:
        if not self.regions:
            return True
        return any(region_id in self.regions for region_id in chain)


class DuplicateOffer(ValueError):
    def __init__(self, offer: Offer) -> None:
        self.offer = offer
        super().__init__(f"offer {offer.offer_id!r} of feed {offer.feed_id} is listed twice")


class Catalogue:
    """Offers by feed id and trimmed offer id (R-044: surrounding spaces do not count)."""

    def __init__(self, offers: Iterable[Offer]) -> None:
        self._feeds: dict[int, dict[str, Offer]] = {}
        self._size = 0
        for offer in offers:
            feed = self._feeds.setdefault(offer.feed_id, {})
            key = sku_key(offer.offer_id)
            if key in feed:
                raise DuplicateOffer(offer)
            feed[key] = offer
            self._size += 1

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Offer]:
        for feed in self._feeds.values():
            yield from feed.values()

    def restrict(self, feed_id: int, offer_id: str, regions: frozenset[int]) -> bool:
        """Limit an offer to ``regions`` (while loading); False when there is no such offer."""
        feed = self._feeds.get(feed_id)
        key = sku_key(offer_id)
        offer = None if feed is None else feed.get(key)
        if feed is None or offer is None:
            return False
        feed[key] = replace(offer, regions=offer.regions | regions)
        return True

    def find(self, feed_id: int, offer_id: str) -> Offer | None:
        feed = self._feeds.get(feed_id)
        return None if feed is None else feed.get(sku_key(offer_id))

    def offers_with_id(self, offer_id: str) -> list[Offer]:
        """The offer with this id in each feed that lists it."""
        key = sku_key(offer_id)
        return [feed[key] for feed in self._feeds.values() if key in feed]
