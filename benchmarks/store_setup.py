"""The /cart workload: the large generated store, and random baskets drawn from the same data.

The store is written as a seller keeps it (a YAML settings file and a YML catalogue) before
``dbskit store serve`` starts on it; the baskets come from the same seed, so they name offers and
regions of that store, as the Market's requests do: one to five lines of random offers (some out
of stock, some digital, some another seller's), random regions of both countries (the second is
not served) sent with their parents up to the country, a business buyer now and then.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from benchmarks._paths import use_checkout_sources
from benchmarks.calls import GeneratedStore, Prepared, SetupContext, Variant

STORE_SEED = 1
STORE_OFFERS = 100_000
STORE_REGIONS = 10_000
STORE_OUTLETS = 2_000
BASKETS = 2_000  # distinct request bodies, cycled
_BASKET_SEED = 7


def write_generated_store(folder: Path, token: str) -> GeneratedStore:
    use_checkout_sources()
    from dbskit.store_data.generate import write_store

    path = write_store(
        folder,
        STORE_SEED,
        offers=STORE_OFFERS,
        regions=STORE_REGIONS,
        outlets=STORE_OUTLETS,
    )
    return GeneratedStore(path, token, STORE_SEED, STORE_OFFERS, STORE_REGIONS, STORE_OUTLETS)


@lru_cache(maxsize=2)
def baskets(seed: int, offers: int, regions: int, outlets: int) -> tuple[str, ...]:
    """``BASKETS`` /cart request bodies for the generated store of these sizes."""
    use_checkout_sources()
    from dbskit.store_data.generate import store_spec

    spec = store_spec(seed, offers=offers, regions=regions, outlets=outlets)
    entries = {entry["id"]: entry for entry in spec.settings["regions"]}
    feed = spec.settings["catalogue"]["feed_id"]
    rng = random.Random(_BASKET_SEED)
    region_ids = list(entries)

    def region(region_id: int) -> dict[str, Any]:
        entry = entries[region_id]
        node: dict[str, Any] = {"id": region_id, "name": entry["name"], "type": entry["type"]}
        if "parent" in entry:
            node["parent"] = region(entry["parent"])
        return node

    def line() -> dict[str, Any]:
        offer = rng.choice(spec.offers)
        return {
            "feedId": feed,
            "offerId": offer.offer_id,
            "offerName": offer.name,
            "price": offer.price,
            "count": rng.randint(1, 3),
        }

    def basket() -> str:
        lines = [line() for _ in range(rng.randint(1, 5))]
        cart = {
            "currency": "RUR",
            "deliveryCurrency": "RUR",
            "buyer": {"type": "BUSINESS" if rng.random() < 0.1 else "PERSON"},
            "delivery": {"region": region(rng.choice(region_ids))},
            "items": lines,
        }
        return json.dumps({"cart": cart}, ensure_ascii=False, separators=(",", ":"))

    return tuple(basket() for _ in range(BASKETS))


def cart_setup(context: SetupContext) -> Prepared:
    store = context.store
    if store is None:
        raise RuntimeError("the /cart workload runs against the generated store")
    bodies = baskets(store.seed, store.offers, store.regions, store.outlets)
    return Prepared(
        variants=tuple(Variant(body=body) for body in bodies),
        values={"store_token": store.token},
    )
