"""Generated stores, baskets, regions and moments: every answer obeys every /cart rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbskit.contract.cart import CartRequest
from dbskit.contract.enums import DeliveryType
from dbskit.shop.cart import answer_cart
from dbskit.store_data.data import StoreData
from dbskit.store_data.generate import FEED_ID, generate_store
from tests.cart_factories import MONDAY_10_MSK, cart_request, line
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


def _fresh(data: StoreData) -> StoreData:
    """The same store with nothing remembered yet."""
    return replace(data, dates_memo={}, regions_memo={}, deliveries_memo={}, options_memo={})


def _turns(data: StoreData) -> list[time]:
    """The moments just before and at each cut-off and interval start of the store's rules."""
    found: set[time] = set()
    for rule in data.rules.rules():
        for turn in (rule.cutoff, *(interval.start for interval in rule.intervals)):
            at = datetime.combine(date(2026, 1, 1), turn)
            found.update({turn, (at - timedelta(seconds=1)).time()})
    return sorted(found)


@pytest.mark.rule("R-057", "R-059", "R-060", "R-063")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, SEEDS - 1),
    draw=st.data(),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
)
def test_remembered_answers_are_those_worked_out_afresh(
    seed: int, draw: st.DataObject, day: date
) -> None:
    """Regions, options and dates are remembered per region, day and phase of the day: moments
    of one day in any order get what a store that remembers nothing answers."""
    data = store(seed)
    request = CartRequest.model_validate(draw.draw(baskets(data)))
    moments = st.one_of(st.times(), st.sampled_from(_turns(data)))
    zone = data.settings.time_zone
    for moment in draw.draw(st.lists(moments, min_size=1, max_size=12)):
        now = datetime.combine(day, moment, zone).astimezone(UTC)
        remembered = answer_cart(request, data, now)
        afresh = answer_cart(request, _fresh(data), now)
        assert remembered.model_dump_json() == afresh.model_dump_json()


def _same_day_regions(data: StoreData) -> list[int]:
    """Regions whose courier may come today: its intervals that have begun drop out."""
    found = []
    for region in data.regions.regions():
        courier = data.rules.nearest(data.regions.chain(region.id), DeliveryType.DELIVERY)
        if any(rule.lead_days == 0 and rule.intervals for rule in courier):
            found.append(region.id)
    return found


@pytest.mark.rule("R-057", "R-059", "R-061", "R-063")
def test_remembered_options_follow_every_turn_of_the_day() -> None:
    """At every cut-off and interval start of a week and a second before each, the regions whose
    courier may come the same day get what a store that remembers nothing answers."""
    checked = 0
    for seed in range(SEEDS):
        data = _fresh(store(seed))
        zone = data.settings.time_zone
        offer = next(offer for offer in data.catalogue if not offer.digital and offer.stock)
        for region_id in _same_day_regions(data)[:3]:
            chain = list(data.regions.chain(region_id))
            request = cart_request(chain, line(offer.offer_id, feed_id=offer.feed_id))
            for days in range(7):
                day = MONDAY_10_MSK.date() + timedelta(days=days)
                for moment in _turns(data):
                    now = datetime.combine(day, moment, zone)
                    remembered = answer_cart(request, data, now)
                    afresh = answer_cart(request, _fresh(data), now)
                    assert remembered.model_dump_json() == afresh.model_dump_json()
                    checked += 1
    assert checked
