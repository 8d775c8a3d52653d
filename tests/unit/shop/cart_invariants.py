"""What every /cart answer of the store must satisfy, whatever the data and the basket.

Each check names its rule; ``check_answer`` raises AssertionError with the rule and the JSON
path of the first violation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from dbskit.contract import limits
from dbskit.contract.cart import CartPaymentMethod, CartRequest, sku_key
from dbskit.store_data.data import StoreData

_TIME = re.compile(limits.CART_TIME_PATTERN)
_ITEM_KEYS = {"feedId", "offerId", "count", "delivery", "sellerInn"}
_OPTION_KEYS = {
    "id",
    "price",
    "deliveryServiceId",
    "serviceName",
    "type",
    "dates",
    "outlets",
    "paymentMethods",
}
_PAYMENTS = {method.value for method in CartPaymentMethod}


def _fail(rule: str, path: str, what: str) -> None:
    raise AssertionError(f"{rule} at {path}: {what}")


def _date(rule: str, path: str, text: Any) -> date:
    try:
        return datetime.strptime(text, limits.CART_DATE_FORMAT).date()
    except (TypeError, ValueError):
        _fail(rule, path, f"{text!r} is not DD-MM-YYYY")
        raise


def check_answer(
    request: CartRequest, body: dict[str, Any], data: StoreData, now: datetime
) -> None:
    cart = body["cart"]
    assert set(cart) == {"deliveryCurrency", "items", "deliveryOptions", "paymentMethods"}, cart
    today = now.astimezone(data.settings.time_zone).date()
    _check_items(request, cart["items"], data)
    options = cart["deliveryOptions"]
    if not cart["items"] and options:
        _fail("R-050", "cart.deliveryOptions", "options for a basket with nothing on sale")
    ids = [option.get("id") for option in options]
    if len(ids) != len(set(ids)):
        _fail("OQ-17", "cart.deliveryOptions", f"option ids repeat: {ids}")
    kinds = {option["type"] for option in options}
    if "DIGITAL" in kinds and len(options) != 1:
        _fail("OQ-21", "cart.deliveryOptions", "the DIGITAL option comes alone")
    for index, option in enumerate(options):
        _check_option(f"cart.deliveryOptions[{index}]", option, data, today)
    _check_delivery_flags(request, cart, data, digital="DIGITAL" in kinds)
    union = {method for option in options for method in option.get("paymentMethods", [])}
    if set(cart["paymentMethods"]) != union:
        _fail(
            "R-065", "cart.paymentMethods", f"{cart['paymentMethods']} is not the options' {union}"
        )


def _check_items(request: CartRequest, items: list[dict[str, Any]], data: StoreData) -> None:
    lines = request.cart.items
    offers = [data.catalogue.find(line.feed_id, line.offer_id) for line in lines]
    if not items:
        for index, (line, offer) in enumerate(zip(lines, offers, strict=True)):
            if offer is not None and offer.stock > 0:
                _fail(
                    "R-050",
                    f"cart.items[{index}]",
                    f"{line.offer_id!r} is on sale but items is empty",
                )
        return
    if len(items) != len(lines):
        _fail("R-046", "cart.items", f"{len(items)} lines answered for {len(lines)} asked")
    given: dict[tuple[int, str], int] = defaultdict(int)
    for index, (line, offer, item) in enumerate(zip(lines, offers, items, strict=True)):
        path = f"cart.items[{index}]"
        if not set(item) <= _ITEM_KEYS:
            _fail("R-046", path, f"unexpected fields {set(item) - _ITEM_KEYS}")
        if (item["feedId"], item["offerId"]) != (line.feed_id, line.offer_id):
            _fail("R-046", path, "feedId/offerId differ from the request")
        count = item["count"]
        if offer is None:
            if count != 0 or "delivery" in item:
                _fail("R-047", path, "an unknown offer is count 0 without delivery")
            continue
        key = (offer.feed_id, sku_key(offer.offer_id))
        left = max(offer.stock - given[key], 0)
        if count != min(line.count, left):
            _fail("R-047", path, f"count {count}, expected {min(line.count, left)}")
        given[key] += count
        if item.get("sellerInn") != offer.seller_inn:
            _fail("R-052", path, "sellerInn is not the offer's")


def _check_delivery_flags(
    request: CartRequest, cart: dict[str, Any], data: StoreData, *, digital: bool
) -> None:
    if not cart["items"]:
        return
    chain = data.regions.resolve(request.cart.delivery.region.chain_ids())
    served = bool(cart["deliveryOptions"])
    for index, (line, item) in enumerate(zip(request.cart.items, cart["items"], strict=True)):
        offer = data.catalogue.find(line.feed_id, line.offer_id)
        path = f"cart.items[{index}].delivery"
        if offer is None:
            continue
        if not served:
            if "delivery" in item:
                _fail("R-049", path, "no options, yet a delivery flag")
            continue
        expected = offer.digital if digital else (not offer.digital and offer.ships_to(chain))
        if item.get("delivery") is not expected:
            _fail("R-048", path, f"{item.get('delivery')} where {expected} was due")


def _check_option(path: str, option: dict[str, Any], data: StoreData, today: date) -> None:
    if not set(option) <= _OPTION_KEYS:
        _fail("R-053", path, f"unexpected fields {set(option) - _OPTION_KEYS}")
    if option.get("id") is not None and len(option["id"]) > limits.CART_OPTION_ID_MAX_LENGTH:
        _fail("R-054", f"{path}.id", "longer than 50")
    name = option["serviceName"]
    if not 1 <= len(name) <= limits.CART_SERVICE_NAME_MAX_LENGTH:
        _fail("R-055", f"{path}.serviceName", f"length {len(name)}")
    if not isinstance(option["price"], int | float) or option["price"] < 0:
        _fail("R-069", f"{path}.price", "not a number of zero or more")
    for method in option.get("paymentMethods", []):
        if method not in _PAYMENTS:
            _fail("OQ-20", f"{path}.paymentMethods", f"{method!r}")
    kind = option["type"]
    dates = option["dates"]
    keys = set(dates)
    outlets = option.get("outlets")
    if kind == "PICKUP":
        if keys != {"fromDate", "toDate"}:
            _fail("R-060", f"{path}.dates", f"PICKUP sends fromDate and toDate only, not {keys}")
        if not outlets:
            _fail("OQ-17", f"{path}.outlets", "a PICKUP option without outlets")
        for code in outlets or []:
            if code["code"] not in {served.outlet.code for served in data.rules.outlets()}:
                _fail("R-064", f"{path}.outlets", f"unknown outlet {code['code']!r}")
    elif outlets is not None:
        _fail("R-063", f"{path}.outlets", f"outlets on a {kind} option")
    if kind == "DELIVERY" and keys not in ({"fromDate"}, {"fromDate", "toDate", "intervals"}):
        _fail("R-059", f"{path}.dates", f"{keys}")
    if kind == "DIGITAL" and (keys != {"fromDate"} or option["price"] != 0):
        _fail("OQ-21", path, "DIGITAL is price 0 with fromDate only")
    first = _date("R-057", f"{path}.dates.fromDate", dates["fromDate"])
    if first < today:
        _fail("OQ-17", f"{path}.dates.fromDate", "in the past")
    last = first
    if "toDate" in dates:
        last = _date("R-057", f"{path}.dates.toDate", dates["toDate"])
        if last < first:
            _fail("OQ-17", f"{path}.dates", "toDate before fromDate")
    _check_intervals(path, dates.get("intervals"), first, last)


def _check_intervals(path: str, intervals: Any, first: date, last: date) -> None:
    if intervals is None:
        return
    if not 1 <= len(intervals) <= limits.CART_INTERVALS_MAX:
        _fail("C-14", f"{path}.dates.intervals", f"{len(intervals)} intervals")
    for index, interval in enumerate(intervals):
        where = f"{path}.dates.intervals[{index}]"
        day = _date("R-057", f"{where}.date", interval["date"])
        if not first <= day <= last:
            _fail("OQ-17", f"{where}.date", "outside fromDate..toDate")
        start, end = interval["fromTime"], interval["toTime"]
        if not (_TIME.match(start) and _TIME.match(end)):
            _fail("R-062", where, f"{start!r}-{end!r} are not HH:00 / 23:59")
        if start > limits.CART_FROM_TIME_MAX or end > limits.CART_TO_TIME_MAX:
            _fail("R-062", where, f"{start}-{end} beyond 21:00 / 23:59")
        if start >= end:
            _fail("OQ-17", where, f"{start} is not before {end}")
