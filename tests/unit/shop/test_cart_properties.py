"""Generated stores, baskets, regions and moments: every answer obeys every /cart rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbskit.contract.cart import CartRequest
from dbskit.shop.cart import answer_cart
from dbskit.shop.data import StoreData
from dbskit.shop.generate import FEED_ID, generate_store
from tests.unit.shop.cart_invariants import check_answer

SEEDS = 12


@cache
def store(seed: int) -> StoreData:
    return generate_store(seed, offers=120, regions=80, outlets=30)


@st.composite
def baskets(draw: st.DrawFn, data: StoreData) -> dict[str, Any]:
    offers = [offer.offer_id for offer in data.catalogue]
    known = st.sampled_from(offers).map(lambda offer_id: (FEED_ID, offer_id))
    spaced = st.sampled_from(offers).map(lambda offer_id: (FEED_ID, f" {offer_id} "))
    unknown = st.tuples(
        st.sampled_from([FEED_ID, FEED_ID + 1]), st.from_regex(r"x-[a-z]{1,8}", fullmatch=True)
    )
    keys = draw(st.lists(st.one_of(known, known, spaced, unknown), min_size=1, max_size=8))
    lines = [
        {"feedId": feed_id, "offerId": offer_id, "count": draw(st.integers(1, 60))}
        for feed_id, offer_id in keys
    ]
    return {"cart": {"delivery": {"region": draw(regions(data))}, "items": lines}}


@st.composite
def regions(draw: st.DrawFn, data: StoreData) -> dict[str, Any]:
    ids = [region.id for region in data.regions.regions()]
    region_id = draw(st.sampled_from(ids))
    chain = list(data.regions.chain(region_id))
    if draw(st.booleans()):
        chain.insert(0, 10_000_000 + draw(st.integers(0, 99)))  # a district the store does not list
    if draw(st.booleans()):
        chain = chain[:1]  # the Market may send no parents
    node: dict[str, Any] | None = None
    for step in reversed(chain):
        node = {"id": step, "parent": node}
    assert node is not None
    return node


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2031, 1, 1), timezones=st.just(UTC)
)


@pytest.mark.rule(
    "R-046",
    "R-047",
    "R-048",
    "R-049",
    "R-050",
    "R-052",
    "R-053",
    "R-054",
    "R-055",
    "R-057",
    "R-059",
    "R-060",
    "R-062",
    "R-063",
    "R-064",
    "R-065",
    "C-14",
    "OQ-17",
    "OQ-20",
    "OQ-21",
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, SEEDS - 1), draw=st.data(), now=moments)
def test_every_answer_obeys_the_rules(seed: int, draw: st.DataObject, now: datetime) -> None:
    data = store(seed)
    request = CartRequest.model_validate(draw.draw(baskets(data)))
    answer = answer_cart(request, data, now)
    check_answer(
        request, answer.model_dump(by_alias=True, exclude_none=True, mode="json"), data, now
    )


@pytest.mark.rule("R-059", "C-14")
@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, SEEDS - 1), now=moments, minutes=st.integers(1, 60 * 24 * 3))
def test_later_moments_never_give_earlier_dates(seed: int, now: datetime, minutes: int) -> None:
    data = store(seed)
    region_id = next(iter(data.rules.rules())).region_id
    body = {
        "cart": {
            "delivery": {"region": {"id": region_id}},
            "items": [{"feedId": FEED_ID, "offerId": "offer-000001", "count": 1}],
        }
    }
    request = CartRequest.model_validate(body)
    earlier = answer_cart(request, data, now).cart.delivery_options
    later = answer_cart(request, data, now + timedelta(minutes=minutes)).cart.delivery_options
    firsts = {o.id: datetime.strptime(o.dates.from_date, "%d-%m-%Y") for o in earlier}
    for option in later:
        if option.id in firsts:
            assert datetime.strptime(option.dates.from_date, "%d-%m-%Y") >= firsts[option.id]
