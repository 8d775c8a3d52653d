"""The POST /cart responder: ``(request, store data, now) -> answer``, a pure function.

What it answers, rule by rule (RULES.md section (d)):

- every request line comes back once, in order, with its ``feedId`` and ``offerId`` as sent and
  nothing else from the request (R-046); ``count`` is the requested number when stock allows,
  what is left when it is short, 0 for an offer out of stock or not in the catalogue (R-047); a
  line of the same offer later in the basket gets what the earlier lines left;
- if nothing in the basket is on sale, ``items`` is empty and so are the options (R-050);
- physical goods get the options of the nearest region with rules: courier (R-059), pick-up
  grouped by equal conditions with all outlets of the region (R-060, R-063), post;
- a basket of digital goods gets the one DIGITAL option of OQ-21;
- a mixed basket ships its physical goods; its digital lines are answered ``delivery: false``
  (docs/decisions.md, "POST /cart");
- a line that cannot travel to the region is answered ``delivery: false`` (R-048); when no line
  can, ``deliveryOptions`` is empty and no line carries ``delivery`` (R-049).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from dbskit.contract.cart import (
    CartAnswer,
    CartAnswerBody,
    CartAnswerItem,
    CartItem,
    CartPaymentMethod,
    CartRegion,
    CartRequest,
    DeliveryDates,
    DeliveryInterval,
    DeliveryOption,
    OutletCode,
    sku_key,
)
from dbskit.contract.enums import DeliveryType
from dbskit.shop.dates import PlannedDates, courier_dates, range_dates
from dbskit.store_data.catalogue import Offer
from dbskit.store_data.data import StoreData
from dbskit.store_data.delivery_rules import PICKUP_GROUP_SEPARATOR, DeliveryRule, ServedOutlet

DATES_MEMO_MAX = 100_000
# Requested region chains are remembered like the dates; past this many the memo starts afresh
# (the Market sends the chains of one tree: about one per region). What serves a region, and its
# options of the day's current phase, are kept at most twice per listed region.
REGIONS_MEMO_MAX = 100_000
_PAYMENT_ORDER = {method: index for index, method in enumerate(CartPaymentMethod)}


@dataclass(frozen=True, slots=True)
class _Line:
    item: CartItem
    offer: Offer | None
    count: int


@dataclass(frozen=True, slots=True)
class PickupGroup:
    """R-063: the outlets of one rule with the same lead time, answered as one option."""

    rule: DeliveryRule
    option_id: str
    extra_days: int
    outlets: list[OutletCode]


@dataclass(frozen=True, slots=True)
class RegionDelivery:
    """What serves a region: the same for every basket to it until the data change, so it is
    worked out once.

    It depends only on the nearest region of the chain that the store lists, and on whether
    the requested region itself is one it does not list (a district below a listed city gets
    the outlets registered for the city and its parents, not those within the city), so chains
    that agree on both share it.
    """

    key: tuple[bool, int | None]  # (the requested region is listed, the nearest listed one)
    courier: tuple[DeliveryRule, ...]
    pickup: tuple[PickupGroup, ...]
    post: tuple[DeliveryRule, ...]
    outlet_count: int
    # The times of day at which one of these rules' dates may change (its cut-off, the starts of
    # its intervals): between two of them the options are the same all day.
    turns: tuple[time, ...]


def answer_cart(request: CartRequest, data: StoreData, now: datetime) -> CartAnswer:
    cart = request.cart
    local = now.astimezone(data.settings.time_zone)
    chain, delivery = region_delivery(data, cart.delivery.region)
    lines = _count_lines(cart.items, data)
    currency = data.settings.delivery_currency.value
    if not any(line.count for line in lines):
        return _answer(currency, [], [], [])

    on_sale = [line for line in lines if line.count and line.offer is not None]
    ships_physically = any(
        not line.offer.digital and line.offer.ships_to(chain)
        for line in on_sale
        if line.offer is not None
    )
    options, methods = physical_options(data, delivery, local) if ships_physically else ([], [])
    digital_chosen = False
    if not options and any(line.offer is not None and line.offer.digital for line in on_sale):
        options, methods = digital_options(data, local)
        digital_chosen = True

    items = [
        _answer_item(line, chain, served=bool(options), digital=digital_chosen) for line in lines
    ]
    return _answer(currency, items, options, methods)


def region_delivery(data: StoreData, region: CartRegion) -> tuple[tuple[int, ...], RegionDelivery]:
    """The region as the Market sent it (with its parents): its chain in the store's tree
    (``RegionTree.resolve``), and what serves it."""
    requested = tuple(region.chain_ids())
    memo = data.regions_memo
    found: tuple[tuple[int, ...], RegionDelivery] | None = memo.get(requested)
    if found is None:
        chain = data.regions.resolve(requested)
        listed = next((region_id for region_id in chain if region_id in data.regions), None)
        key = (bool(chain) and chain[0] == listed, listed)
        delivery: RegionDelivery | None = data.deliveries_memo.get(key)
        if delivery is None:
            delivery = _region_delivery(data, chain, key)
            data.deliveries_memo[key] = delivery  # at most two per listed region
        found = (chain, delivery)
        if len(memo) >= REGIONS_MEMO_MAX:
            memo.clear()
        memo[requested] = found
    return found


def _region_delivery(
    data: StoreData, chain: tuple[int, ...], key: tuple[bool, int | None]
) -> RegionDelivery:
    courier = data.rules.nearest(chain, DeliveryType.DELIVERY)
    outlets = data.rules.outlets_for(chain)
    pickup = _pickup_groups(outlets)
    post = data.rules.nearest(chain, DeliveryType.POST)
    rules = (*courier, *(group.rule for group in pickup), *post)
    turns = {rule.cutoff for rule in rules}
    turns.update(interval.start for rule in rules for interval in rule.intervals)
    return RegionDelivery(key, courier, pickup, post, len(outlets), tuple(sorted(turns)))


def _pickup_groups(outlets: Iterable[ServedOutlet]) -> tuple[PickupGroup, ...]:
    """R-063: one option per group of outlets with equal conditions (service and lead time)."""
    groups: dict[tuple[str, int], tuple[DeliveryRule, list[OutletCode]]] = {}
    for served in outlets:
        for rule in served.rules:
            key = (rule.id, served.outlet.extra_days)
            if key not in groups:
                groups[key] = (rule, [])
            groups[key][1].append(served.answer)
    return tuple(
        PickupGroup(
            rule,
            rule_id if not extra_days else f"{rule_id}{PICKUP_GROUP_SEPARATOR}{extra_days}d",
            extra_days,
            codes,
        )
        for (rule_id, extra_days), (rule, codes) in groups.items()
    )


def _count_lines(items: Iterable[CartItem], data: StoreData) -> list[_Line]:
    """R-047 counts; lines of one offer share its stock."""
    find = data.catalogue.find
    taken: dict[tuple[int, str], int] = {}
    lines: list[_Line] = []
    for item in items:
        offer = find(item.feed_id, item.offer_id)
        count = 0
        if offer is not None:
            # The offer's own key: found under this feed and trimmed id.
            key = (item.feed_id, sku_key(item.offer_id))
            already = taken.get(key, 0)
            count = min(item.count, max(offer.stock - already, 0))
            taken[key] = already + count
        lines.append(_Line(item, offer, count))
    return lines


def _answer_item(
    line: _Line, chain: tuple[int, ...], *, served: bool, digital: bool
) -> CartAnswerItem:
    offer = line.offer
    delivery: bool | None = None
    if served and offer is not None:
        # true only for lines the answered options carry.
        delivery = offer.digital if digital else (not offer.digital and offer.ships_to(chain))
    return CartAnswerItem(
        feed_id=line.item.feed_id,
        offer_id=line.item.offer_id,
        count=line.count,
        delivery=delivery,
        seller_inn=offer.seller_inn if offer is not None else None,
    )


def _answer(
    currency: str, items: list[CartAnswerItem], options: list[DeliveryOption], methods: list[str]
) -> CartAnswer:
    return CartAnswer(
        cart=CartAnswerBody(
            delivery_currency=currency,
            items=items,
            delivery_options=options,
            payment_methods=methods,
        )
    )


def _payment_methods(options: Iterable[DeliveryOption]) -> list[str]:
    methods: set[str] = set()
    for option in options:
        methods.update(option.payment_methods or ())
    return sorted(methods, key=lambda method: _PAYMENT_ORDER[CartPaymentMethod(method)])


# --- Options --------------------------------------------------------------------------------------

Options = tuple[list[DeliveryOption], list[str]]  # the options and their payment methods, ordered


def physical_options(data: StoreData, delivery: RegionDelivery, local: datetime) -> Options:
    """Courier (R-059), pick-up (R-060, R-063) and post options of the region, built once per
    region, day and phase of the day (the answers share them: they are never changed). Only
    the latest phase is kept for each region."""
    phase = (local.date(), bisect_right(delivery.turns, local.time()))
    memo = data.options_memo
    found: tuple[Hashable, Options] | None = memo.get(delivery.key)
    if found is not None and found[0] == phase:
        return found[1]
    options = [_option(rule, rule.id, option_dates(data, rule, local)) for rule in delivery.courier]
    for group in delivery.pickup:
        dates = option_dates(data, group.rule, local, extra_days=group.extra_days)
        option = _option(group.rule, group.option_id, dates)
        option.outlets = group.outlets
        options.append(option)
    options.extend(
        _option(rule, rule.id, option_dates(data, rule, local)) for rule in delivery.post
    )
    built = (options, _payment_methods(options))
    memo[delivery.key] = (phase, built)
    return built


def digital_options(data: StoreData, local: datetime) -> Options:
    """OQ-21: one DIGITAL option, price 0, available today (built once a day)."""
    day = local.date()
    memo = data.options_memo
    found: tuple[Hashable, Options] | None = memo.get(DeliveryType.DIGITAL)
    if found is not None and found[0] == day:
        return found[1]
    options = [digital_option(data, local)]
    built = (options, _payment_methods(options))
    memo[DeliveryType.DIGITAL] = (day, built)
    return built


def option_dates(
    data: StoreData, rule: DeliveryRule, local: datetime, *, extra_days: int = 0
) -> DeliveryDates:
    """The option's dates, computed once per rule, day and phase of the day.

    The dates depend on the local day, on whether the cut-off has passed and on which of the
    day's intervals have begun; within one such phase they are the same for every request.
    """
    moment = local.time()
    phase = (moment >= rule.cutoff, sum(1 for i in rule.intervals if i.start <= moment))
    key = (rule.id, extra_days, local.date(), phase)
    memo = data.dates_memo
    dates = memo.get(key)
    if dates is None:
        if rule.type is DeliveryType.DELIVERY:
            planned = courier_dates(rule, local)
        else:
            planned = range_dates(rule, local, extra_days=extra_days)
        dates = _dates(planned)
        if len(memo) >= DATES_MEMO_MAX:
            memo.clear()
        memo[key] = dates
    return dates


def digital_option(data: StoreData, local: datetime) -> DeliveryOption:
    """OQ-21: one DIGITAL option, price 0, available today."""
    digital = data.settings.digital
    return DeliveryOption(
        id=digital.option_id,
        price=0,
        service_name=digital.service_name,
        type=DeliveryType.DIGITAL,
        dates=DeliveryDates(from_date=format_date(local.date())),
        payment_methods=list(digital.payment_methods),
    )


def _option(rule: DeliveryRule, option_id: str, dates: DeliveryDates) -> DeliveryOption:
    return DeliveryOption(
        id=option_id,
        price=rule.price,
        delivery_service_id=rule.service_id,
        service_name=rule.service_name,
        type=rule.type,
        dates=dates,
        payment_methods=list(rule.payment_methods),
    )


def _dates(planned: PlannedDates) -> DeliveryDates:
    return DeliveryDates(
        from_date=format_date(planned.from_date),
        to_date=format_date(planned.to_date) if planned.to_date is not None else None,
        intervals=[
            DeliveryInterval(
                date=format_date(day),
                from_time=format_time(interval.start),
                to_time=format_time(interval.end),
            )
            for day, interval in planned.intervals
        ]
        or None,
    )


def format_date(day: date) -> str:
    """R-057: ``DD-MM-YYYY``."""
    # The same as strftime(limits.CART_DATE_FORMAT), several times faster.
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def format_time(moment: time) -> str:
    """R-062: ``HH:MM`` (C-16: never with seconds)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"
