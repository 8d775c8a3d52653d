"""Checks only the checker can make: answers judged against the store's own catalogue and rules.

The checks of ``cart_rules`` judge an answer's form and its counts against the lines' expected
stock, and pass over what is absent: an empty ``items`` is how a store says nothing is on sale
(R-050), an empty ``deliveryOptions`` how it says the region is not served (R-049). Checkout
through the store must accept both, not knowing the stock. The checker built the battery from
the store's data, so it knows better: these checks refuse a store that hides goods its catalogue
has in stock, or offers no delivery where its rules deliver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbskit.cart_rules.checks import CHECKS, Check, Issue
from dbskit.cart_rules.findings import CheckContext, Outcome
from dbskit.cart_rules.scenario import Expect, Line
from dbskit.checker.coverage import PHYSICAL_TYPES, Coverage
from dbskit.contract.enums import DeliveryType
from dbskit.store_data.data import StoreData

# What the battery's lines say the catalogue has on sale: R-047 gives each a count of at least
# one, R-048 a line (with "delivery": false) even where it cannot travel.
_ON_SALE = frozenset({Expect.IN_STOCK, Expect.SHORT, Expect.NOT_DELIVERABLE})
# Lines that travel to the region if the catalogue lets them (not the undeliverable one).
_TRAVELLING = frozenset({Expect.IN_STOCK, Expect.SHORT})


def _answered_cart(outcome: Outcome) -> dict[str, Any] | None:
    """The answer's cart, for a served region's 200 answer that parsed; the envelope check
    reports the others."""
    if not outcome.answered or outcome.scenario.unserved or not isinstance(outcome.data, dict):
        return None
    cart = outcome.data.get("cart")
    return cart if isinstance(cart, dict) else None


def _answered_keys(cart: dict[str, Any]) -> set[tuple[Any, str]]:
    items = cart.get("items")
    keys = set()
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("offerId"), str):
            keys.add((item.get("feedId"), item["offerId"].strip()))
    return keys


def check_lines_on_sale(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    cart = _answered_cart(outcome)
    if cart is None or not isinstance(cart.get("items"), list):
        return
    answered = _answered_keys(cart)
    for line in outcome.scenario.lines:
        if line.expect in _ON_SALE and (line.feed_id, line.offer_id.strip()) not in answered:
            yield (
                "cart.items",
                f"line feedId={line.feed_id} offerId={line.offer_id!r} is in stock in the "
                "catalogue but left out (read as not on sale)",
            )


def _region_id(body: dict[str, Any]) -> int | None:
    region = body.get("cart", {}).get("delivery", {}).get("region", {})
    region_id = region.get("id") if isinstance(region, dict) else None
    return region_id if isinstance(region_id, int) else None


class _ServedOptions:
    """For a region the store's rules serve and a line in stock that may travel there: an option
    of each delivery type that serves the region."""

    def __init__(self, data: StoreData) -> None:
        self.data = data
        self.coverage = Coverage(data)

    def expected(self, region_id: int, lines: tuple[Line, ...]) -> frozenset[DeliveryType]:
        chain = self.coverage.chain(region_id)
        for line in lines:
            offer = self.data.catalogue.find(line.feed_id, line.offer_id)
            if line.expect not in _TRAVELLING or offer is None or offer.digital:
                continue
            if offer.ships_to(chain):
                return self.coverage.types(region_id)
        return frozenset()

    def __call__(self, outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
        cart = _answered_cart(outcome)
        region_id = _region_id(outcome.scenario.body)
        options = cart.get("deliveryOptions") if cart else None
        if region_id is None or not isinstance(options, list):
            return
        expected = self.expected(region_id, outcome.scenario.lines)
        offered = {o.get("type") for o in options if isinstance(o, dict)}
        missing = [t.value for t in PHYSICAL_TYPES if t in expected and t not in offered]
        if missing:
            these = "that type" if len(missing) == 1 else "these types"
            yield (
                "cart.deliveryOptions",
                f"no option of type {', '.join(missing)}, though the store's data serve region "
                f"{region_id} with {these}",
            )


def catalogue_checks(data: StoreData) -> tuple[Check, ...]:
    """The checks that judge answers by ``data``, the store data the battery was built from."""
    return (
        Check("lines-on-sale", "R-050", "lines in stock are answered", check_lines_on_sale),
        Check(
            "served-options",
            "R-049",
            "options of each type the rules serve the region with",
            _ServedOptions(data),
        ),
    )


def checks_for(data: StoreData) -> tuple[Check, ...]:
    """Every check of a ``check-cart`` run on a battery built from ``data``."""
    return (*CHECKS, *catalogue_checks(data))
