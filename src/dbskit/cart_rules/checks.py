"""One check per rule of the POST /cart answer, on the raw JSON.

A broken store's answer may not fit our models, so every check reads plain JSON values and
reports what it finds at a JSON path; a check that depends on a part another check already
reports as broken (e.g. a date that is not ``DD-MM-YYYY``) passes over it, so each defect is
reported once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dbskit.cart_rules.findings import CheckContext, Finding, Outcome, Severity, Unparsed
from dbskit.cart_rules.scenario import Auth, Expect, Line
from dbskit.contract import limits
from dbskit.contract.cart import CartPaymentMethod
from dbskit.contract.enums import DeliveryType

Issue = tuple[str, str] | tuple[str, str, Severity]  # (path, message[, severity])
CheckFunction = Callable[[Outcome, CheckContext], Iterator[Issue]]

_TIME = re.compile(limits.CART_TIME_PATTERN)
_TIME_WITH_SECONDS = re.compile(r"^(\d\d:\d\d):00$")  # C-16: the samples' HH:MM:SS
_DATE = re.compile(r"^\d{2}-\d{2}-\d{4}$")
_OPTION_TYPES = frozenset(DeliveryType)
_PAYMENT_METHODS = frozenset(CartPaymentMethod)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    rule: str
    describe: str
    run: CheckFunction

    def findings(self, outcome: Outcome, context: CheckContext) -> list[Finding]:
        found = []
        for issue in self.run(outcome, context):
            severity = issue[2] if len(issue) == 3 else Severity.ERROR
            found.append(
                Finding(outcome.scenario.name, self.name, self.rule, issue[0], issue[1], severity)
            )
        return found


# --- Reading the raw answer ---------------------------------------------------------------------


def _cart(outcome: Outcome) -> dict[str, Any] | None:
    if not outcome.answered or not isinstance(outcome.data, dict):
        return None
    cart = outcome.data.get("cart")
    return cart if isinstance(cart, dict) else None


def _objects(outcome: Outcome, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(path, object)`` for each object in ``cart.<key>``."""
    cart = _cart(outcome)
    values = cart.get(key) if cart else None
    if isinstance(values, list):
        for index, value in enumerate(values):
            if isinstance(value, dict):
                yield f"cart.{key}[{index}]", value


def _options(outcome: Outcome) -> Iterator[tuple[str, dict[str, Any]]]:
    return _objects(outcome, "deliveryOptions")


def _dates(option: dict[str, Any]) -> dict[str, Any]:
    dates = option.get("dates")
    return dates if isinstance(dates, dict) else {}


def _intervals(option: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    intervals = _dates(option).get("intervals")
    if not isinstance(intervals, list):
        return []
    return [(i, value) for i, value in enumerate(intervals) if isinstance(value, dict)]


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return datetime.strptime(value, limits.CART_DATE_FORMAT).date()
    except ValueError:
        return None


def _matched_lines(outcome: Outcome) -> Iterator[tuple[str, dict[str, Any], Line]]:
    """Answered lines with the requested line they answer (by ``feedId`` and trimmed id)."""
    requested = {(line.feed_id, line.offer_id.strip()): line for line in outcome.scenario.lines}
    for path, item in _objects(outcome, "items"):
        offer_id = item.get("offerId")
        key = (item.get("feedId"), offer_id.strip() if isinstance(offer_id, str) else None)
        line = requested.get(key)  # type: ignore[arg-type]
        if line is not None:
            yield path, item, line


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- The checks ---------------------------------------------------------------------------------


def check_deadline(outcome: Outcome, context: CheckContext) -> Iterator[Issue]:
    if outcome.timed_out:
        yield "", f"no answer within {context.deadline:g} s"
    elif outcome.status is not None and outcome.elapsed > context.deadline:
        yield "", f"answered after {outcome.elapsed:.2f} s; the Market waits {context.deadline:g} s"


def check_connection(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    if outcome.failure is not None and not outcome.timed_out:
        yield "", outcome.failure


def check_push_token(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    if outcome.scenario.auth is Auth.GOOD or outcome.status is None:
        return
    what = "a wrong" if outcome.scenario.auth is Auth.WRONG else "no"
    if outcome.status != 403:
        yield "", f"answered {outcome.status} to a call with {what} push token; expected 403"


def check_bad_request(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    if outcome.scenario.expected_status != 400 or outcome.status is None:
        return
    if outcome.status != 400:
        yield "", f"answered {outcome.status} to a request with items[0].count 0; expected 400"


def check_content_type(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    if not outcome.scenario.expects_answer or outcome.status != 200:
        return
    media = (outcome.content_type or "").split(";")[0].strip().lower()
    if media != "application/json":
        yield "", f"Content-Type is {outcome.content_type or 'missing'}; expected application/json"


def check_json(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    expected = outcome.scenario.expects_answer and outcome.status == 200
    if expected and isinstance(outcome.data, Unparsed):
        yield "", "the body is not UTF-8 JSON"


def check_envelope(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    if not outcome.scenario.expects_answer or outcome.status is None:
        return
    if outcome.status != 200:
        yield "", f"answered {outcome.status}; a valid request expects 200"
        return
    if isinstance(outcome.data, Unparsed):
        return
    if not isinstance(outcome.data, dict) or not isinstance(outcome.data.get("cart"), dict):
        yield "cart", 'the answer must be {"cart": {...}}'
        return
    cart = outcome.data["cart"]
    for key in ("items", "deliveryOptions", "paymentMethods"):
        if not isinstance(cart.get(key), list):
            yield f"cart.{key}", "missing or not an array"
    for key in ("items", "deliveryOptions"):
        values = cart.get(key)
        for index, value in enumerate(values if isinstance(values, list) else []):
            if not isinstance(value, dict):
                yield f"cart.{key}[{index}]", "not an object"
    currency = cart.get("deliveryCurrency")
    if currency is not None and not isinstance(currency, str):
        yield "cart.deliveryCurrency", "not a string"


def check_lines(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    requested = {(line.feed_id, line.offer_id.strip()) for line in outcome.scenario.lines}
    answered = set()
    items = list(_objects(outcome, "items"))
    for path, item in items:
        feed_id, offer_id = item.get("feedId"), item.get("offerId")
        if not _is_int(feed_id) or not isinstance(offer_id, str):
            yield path, "feedId (integer) and offerId (string) identify the line as requested"
            continue
        key = (feed_id, offer_id.strip())
        if key not in requested:
            yield path, f"extra line feedId={feed_id} offerId={offer_id!r} not in the request"
        answered.add(key)
        if "feedCategoryId" in item:
            yield f"{path}.feedCategoryId", "must not be sent back"
    if items:  # an empty list means nothing is on sale
        for feed_id, offer_id in sorted(requested - answered):
            message = f"requested line feedId={feed_id} offerId={offer_id!r} is missing (count 0)"
            yield "cart.items", message, Severity.WARNING


def check_counts(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, item, line in _matched_lines(outcome):
        count = item.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            yield f"{path}.count", f"{count!r} is not a non-negative integer"
        elif line.expect in (Expect.IN_STOCK, Expect.NOT_DELIVERABLE) and count < line.count:
            yield f"{path}.count", f"{count} < {line.count} requested, though the stock allows it"
        elif line.expect is Expect.SHORT and count >= line.count:
            yield f"{path}.count", f"{count} for {line.count} requested beyond the stock"


def check_unavailable(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, item, line in _matched_lines(outcome):
        count = item.get("count")
        if line.expect is Expect.UNAVAILABLE and _is_int(count) and count != 0:
            yield f"{path}.count", f"{count} for an offer not on sale; expected 0"


def check_delivery_flag(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, item in _objects(outcome, "items"):
        if "delivery" in item and not isinstance(item["delivery"], bool):
            yield f"{path}.delivery", "not a boolean"
    for path, item, line in _matched_lines(outcome):
        if line.expect is Expect.NOT_DELIVERABLE and item.get("delivery") is not False:
            yield f"{path}.delivery", "the offer cannot travel to the region; expected false"


def check_unserved_region(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    cart = _cart(outcome)
    options = cart.get("deliveryOptions") if cart else None
    if outcome.scenario.unserved and isinstance(options, list) and options:
        yield "cart.deliveryOptions", "the store does not serve the region; expected []"


def check_seller_inn(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, item in _objects(outcome, "items"):
        if "sellerInn" in item and not isinstance(item["sellerInn"], str):
            yield f"{path}.sellerInn", f"{item['sellerInn']!r} is not a string"


def check_option_fields(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, option in _options(outcome):
        price = option.get("price")
        if not isinstance(price, int | float) or isinstance(price, bool) or price < 0:
            yield f"{path}.price", "missing or not a non-negative number"
        if not isinstance(option.get("serviceName"), str) or not option["serviceName"]:
            yield f"{path}.serviceName", "missing or not a non-empty string"
        if option.get("type") not in _OPTION_TYPES:
            yield f"{path}.type", f"{option.get('type')!r} is not one of {', '.join(_OPTION_TYPES)}"
        if not isinstance(option.get("dates"), dict):
            yield f"{path}.dates", "missing or not an object"
        if "id" in option and not isinstance(option["id"], str):
            yield f"{path}.id", "not a string"
        service_id = option.get("deliveryServiceId")
        if service_id is not None and not _is_int(service_id):
            yield f"{path}.deliveryServiceId", "not an integer"


def _too_long(key: str, maximum: int) -> CheckFunction:
    def check(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
        for path, option in _options(outcome):
            value = option.get(key)
            if isinstance(value, str) and len(value) > maximum:
                yield f"{path}.{key}", f"{len(value)} characters; at most {maximum}"

    return check


def check_date_format(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, option in _options(outcome):
        dates = _dates(option)
        for key in ("fromDate", "toDate"):
            if key in dates and _parse_date(dates[key]) is None:
                yield f"{path}.dates.{key}", f"{dates[key]!r} is not a DD-MM-YYYY date"
        for index, interval in _intervals(option):
            if _parse_date(interval.get("date")) is None:
                where = f"{path}.dates.intervals[{index}].date"
                yield where, f"{interval.get('date')!r} is not a DD-MM-YYYY date"


def check_date_range(outcome: Outcome, context: CheckContext) -> Iterator[Issue]:
    for path, option in _options(outcome):
        dates = _dates(option)
        first, last = _parse_date(dates.get("fromDate")), _parse_date(dates.get("toDate"))
        if first is not None and first < context.earliest_today:
            yield f"{path}.dates.fromDate", f"{dates['fromDate']} is in the past"
        if first is not None and last is not None and first > last:
            yield f"{path}.dates", f"fromDate {dates['fromDate']} is after toDate {dates['toDate']}"
        for index, interval in _intervals(option):
            day = _parse_date(interval.get("date"))
            if day is None or first is None or last is None:
                continue
            if not first <= day <= last:
                where = f"{path}.dates.intervals[{index}].date"
                yield where, f"{interval['date']} is outside fromDate..toDate"


def check_courier_dates(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, option in _options(outcome):
        if option.get("type") != DeliveryType.DELIVERY:
            continue
        present = {key for key in ("fromDate", "toDate", "intervals") if key in _dates(option)}
        intervals = _dates(option).get("intervals")
        if present == {"fromDate", "toDate", "intervals"} and isinstance(intervals, list):
            if not intervals:
                yield f"{path}.dates.intervals", "empty; send intervals or only fromDate"
        elif present != {"fromDate"}:
            shown = ", ".join(sorted(present)) or "nothing"
            yield (
                f"{path}.dates",
                f"has {shown}; expected fromDate, toDate and intervals, or only fromDate",
            )


def check_pickup_dates(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, option in _options(outcome):
        if option.get("type") != DeliveryType.PICKUP:
            continue
        dates = _dates(option)
        if "intervals" in dates:
            yield f"{path}.dates.intervals", "must not be sent for PICKUP"
        for key in ("fromDate", "toDate"):
            if key not in dates:
                yield f"{path}.dates.{key}", "required for PICKUP"


def check_interval_count(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    maximum = limits.CART_INTERVALS_MAX
    for path, option in _options(outcome):
        intervals = _intervals(option)
        per_date = Counter(str(interval.get("date")) for _, interval in intervals)
        crowded = [day for day, count in per_date.items() if count > maximum]
        for day in crowded:
            yield (
                f"{path}.dates.intervals",
                f"{per_date[day]} intervals on {day}; at most {maximum}",
            )
        if not crowded and len(intervals) > maximum:
            message = f"{len(intervals)} intervals in total; the array allows at most {maximum}"
            yield f"{path}.dates.intervals", message, Severity.WARNING


def _interval_time(where: str, value: Any) -> tuple[str | None, list[Issue]]:
    """The ``HH:MM`` value, with what is wrong with it (C-16 tolerates ``HH:MM:00``)."""
    if isinstance(value, str) and _TIME.match(value):
        return value, []
    short = _TIME_WITH_SECONDS.match(value) if isinstance(value, str) else None
    if short and _TIME.match(short.group(1)):
        return short.group(1), [(where, f"{value!r} has seconds; send HH:MM", Severity.WARNING)]
    return None, [(where, f"{value!r} is not HH:MM on the hour (or 23:59)")]


def check_interval_times(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, option in _options(outcome):
        for index, interval in _intervals(option):
            where = f"{path}.dates.intervals[{index}]"
            start, issues = _interval_time(f"{where}.fromTime", interval.get("fromTime"))
            end, more = _interval_time(f"{where}.toTime", interval.get("toTime"))
            yield from issues
            yield from more
            if start is not None and start > limits.CART_FROM_TIME_MAX:
                yield f"{where}.fromTime", f"{start} is after {limits.CART_FROM_TIME_MAX}"
            if start is not None and end is not None and start >= end:
                yield where, f"fromTime {start} is not before toTime {end}"


def check_outlets(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    for path, option in _options(outcome):
        outlets = option.get("outlets")
        if option.get("type") == DeliveryType.PICKUP:
            if not isinstance(outlets, list) or not outlets:
                yield f"{path}.outlets", "a PICKUP option lists at least one outlet"
                continue
            for index, outlet in enumerate(outlets):
                if not isinstance(outlet, dict) or not isinstance(outlet.get("code"), str):
                    yield f"{path}.outlets[{index}]", 'expected {"code": "..."}'
        elif outlets:
            yield (
                f"{path}.outlets",
                f"sent for a {option.get('type')} option; only PICKUP has outlets",
            )


def check_outlet_codes(outcome: Outcome, context: CheckContext) -> Iterator[Issue]:
    if context.outlet_codes is None:
        return
    for path, option in _options(outcome):
        outlets = option.get("outlets")
        for index, outlet in enumerate(outlets if isinstance(outlets, list) else []):
            code = outlet.get("code") if isinstance(outlet, dict) else None
            if isinstance(code, str) and code not in context.outlet_codes:
                message = f"outlet {code!r} is not registered; the Market drops the whole option"
                yield f"{path}.outlets[{index}].code", message, Severity.WARNING


def check_option_ids(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    ids = Counter(
        option["id"] for _, option in _options(outcome) if isinstance(option.get("id"), str)
    )
    for option_id, count in ids.items():
        if count > 1:
            yield "cart.deliveryOptions", f"id {option_id!r} is used by {count} options"


def check_payment_methods(outcome: Outcome, _context: CheckContext) -> Iterator[Issue]:
    cart = _cart(outcome)
    lists: list[tuple[str, Any]] = []
    if cart is not None and isinstance(cart.get("paymentMethods"), list):
        lists.append(("cart.paymentMethods", cart["paymentMethods"]))
    lists += [
        (f"{path}.paymentMethods", o["paymentMethods"])
        for path, o in _options(outcome)
        if "paymentMethods" in o
    ]
    for path, methods in lists:
        if not isinstance(methods, list):
            yield path, "not an array of strings"
            continue
        for index, method in enumerate(methods):
            if not isinstance(method, str):
                yield f"{path}[{index}]", f"{method!r} is not a string"
            elif method not in _PAYMENT_METHODS:
                yield f"{path}[{index}]", f"unknown payment method {method!r}", Severity.WARNING


CHECKS: tuple[Check, ...] = (
    Check("deadline", "R-037", "answered within 5.5 s", check_deadline),
    Check("connection", "R-037", "the connection opens within 1 s", check_connection),
    Check("push-token", "R-039", "403 for a wrong or missing token", check_push_token),
    Check("bad-request", "R-067", "400 for a malformed request", check_bad_request),
    Check("content-type", "R-069", "Content-Type application/json", check_content_type),
    Check("json", "R-069", "the body parses as JSON", check_json),
    Check(
        "envelope", "R-045", "200 with cart.items, deliveryOptions, paymentMethods", check_envelope
    ),
    Check("lines", "R-046", "lines as requested, no extra ones (OQ-17)", check_lines),
    Check("counts", "R-047", "counts follow the stock", check_counts),
    Check("unavailable", "R-050", "count 0 for offers not on sale", check_unavailable),
    Check("delivery-flag", "R-048", "delivery false for what cannot travel", check_delivery_flag),
    Check("unserved-region", "R-049", "no options for an unserved region", check_unserved_region),
    Check("seller-inn", "R-052", "sellerInn is a string", check_seller_inn),
    Check("option-fields", "R-053", "each option's fields and types", check_option_fields),
    Check(
        "option-id-length",
        "R-054",
        "option id at most 50 characters",
        _too_long("id", limits.CART_OPTION_ID_MAX_LENGTH),
    ),
    Check(
        "service-name-length",
        "R-055",
        "serviceName at most 50 characters",
        _too_long("serviceName", limits.CART_SERVICE_NAME_MAX_LENGTH),
    ),
    Check("date-format", "R-057", "dates are DD-MM-YYYY", check_date_format),
    Check(
        "date-range", "OQ-17", "fromDate <= toDate, not past, intervals inside", check_date_range
    ),
    Check(
        "courier-dates", "R-059", "DELIVERY: all three or only fromDate (C-15)", check_courier_dates
    ),
    Check("pickup-dates", "R-060", "PICKUP: fromDate and toDate, no intervals", check_pickup_dates),
    Check(
        "interval-count",
        "C-14",
        "at most 7 intervals a date (7 in all: warning)",
        check_interval_count,
    ),
    Check(
        "interval-times",
        "R-062",
        "HH:MM on the hour, fromTime <= 21:00 (C-16)",
        check_interval_times,
    ),
    Check("outlets", "R-063", "outlets always and only for PICKUP", check_outlets),
    Check(
        "outlet-codes",
        "C-17",
        "outlet codes are registered (R-064)",
        check_outlet_codes,
    ),
    Check("option-ids-unique", "OQ-17", "option ids are unique", check_option_ids),
    Check("payment-methods", "OQ-20", "payment methods are known strings", check_payment_methods),
)


def run_checks(outcomes: list[Outcome], context: CheckContext) -> list[Finding]:
    return [f for outcome in outcomes for check in CHECKS for f in check.findings(outcome, context)]
