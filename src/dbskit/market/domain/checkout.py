"""Checkout through the store: the Market's POST /cart for a basket, how the store's answer is
judged (OQ-16), and the test order made only from what the store answered.

Pure rules: the service makes the call, logs it and stores the order.

- The request is built as the Market builds it (R-041..R-044): the business, RUR, the buyer's
  type, the region with its parents from the Market's directory, the lines with feed, offer,
  name, price and count.
- An answer is usable only when it is a 200 JSON answer in time that passes every check
  ``check-cart`` makes (``cart_rules.answer``); otherwise the checkout fails with the failure class
  of the Market's push log and no order is made (OQ-16). Warnings travel with the order.
- The order takes from the answer: the counts (a line is ordered in at most the number asked
  for; lines answered 0, missing (OQ-17) or ``delivery: false`` for the chosen option are left
  out), the option (the requested type, else the store's first option), its service, dates and
  price, and the first payment method it allows that an order can carry.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Protocol

from pydantic import ValidationError

from dbskit.cart_rules.answer import check_answer
from dbskit.cart_rules.findings import UNPARSED, Finding, Severity
from dbskit.contract import limits
from dbskit.contract.cart import (
    Cart,
    CartAnswer,
    CartAnswerBody,
    CartAnswerItem,
    CartBuyer,
    CartDelivery,
    CartItem,
    CartPaymentMethod,
    CartRequest,
    DeliveryOption,
    StoreErrorBody,
    sku_key,
)
from dbskit.contract.checkout import CheckoutBody, CheckoutItem, CheckoutRequest
from dbskit.contract.enums import (
    Currency,
    DeliveryType,
    OrderStatus,
    OrderSubstatus,
    PaymentMethod,
    PaymentType,
)
from dbskit.contract.errors import (
    BadRequest,
    BasketUnavailable,
    ErrorDetail,
    Messages,
    StoreCallFailed,
    StoreCallTimedOut,
)
from dbskit.contract.notifications import DeliveryErrorSubtype, DeliveryErrorType
from dbskit.contract.regions import cart_region
from dbskit.market.domain.delivery_services import OWN_DELIVERY_SERVICE_ID
from dbskit.market.domain.order import Order
from dbskit.market.domain.test_orders import (
    Payment,
    PlacedDelivery,
    new_test_order,
    order_items,
    require_region,
)
from dbskit.notification_answers import JSON_MEDIA_TYPE, Verdict

CART_PATH: Final = "/cart"  # POST <push URL>/cart
# How the Market's outgoing call shows in the query log: its operationId (no Partner API
# operation looks like this) and, as the path, the absolute URL it was sent to.
PUSH_CART_OPERATION: Final = "push.cart"
CHECKOUT_CURRENCY: Final = Currency.RUR  # the currency of the sandbox's test orders
# OQ-20: the methods paid when the order is received; the rest are paid in advance.
POSTPAID_METHODS: Final = frozenset(
    {
        PaymentMethod.CASH_ON_DELIVERY,
        PaymentMethod.CARD_ON_DELIVERY,
        PaymentMethod.BOUND_CARD_ON_DELIVERY,
        PaymentMethod.BNPL_BANK_ON_DELIVERY,
        PaymentMethod.BNPL_ON_DELIVERY,
        PaymentMethod.B2B_ACCOUNT_POSTPAYMENT,
    }
)
# SHOP_PREPAID (the store takes the prepayment itself) has no OrderPaymentMethodType value.
SHOP_PREPAID_PAYMENT: Final = Payment(PaymentType.PREPAID, PaymentMethod.UNKNOWN)
_CENTS = Decimal("0.01")


class CatalogueOffer(Protocol):
    """What the basket takes from an offer of the catalogue the sandbox knows."""

    @property
    def feed_id(self) -> int: ...

    @property
    def price(self) -> float: ...


def complete_basket(
    body: CheckoutBody, offers_with_id: Callable[[str], Sequence[CatalogueOffer]]
) -> CheckoutRequest:
    """Fill in each line's missing ``feedId`` and ``price`` from the catalogue, as the Market
    knows them from the feed it indexed; a line the catalogue cannot complete is a 400."""
    lines: list[CheckoutItem] = []
    for index, line in enumerate(body.items):
        feed_id, price = line.feed_id, line.price
        if feed_id is None or price is None:
            found = [
                offer
                for offer in offers_with_id(line.offer_id)
                if feed_id is None or offer.feed_id == feed_id
            ]
            if not found:
                field = "feedId" if feed_id is None else "price"
                raise BadRequest(
                    Messages.BASKET_OFFER_UNKNOWN.format(
                        index=index, field=field, offer_id=line.offer_id
                    )
                )
            if len(found) > 1:
                raise BadRequest(
                    Messages.BASKET_OFFER_IN_FEEDS.format(index=index, offer_id=line.offer_id)
                )
            offer = found[0]
            feed_id = offer.feed_id
            price = price if price is not None else Decimal(str(offer.price))
        values = line.model_dump(by_alias=True, exclude_none=True)
        values.update(feedId=feed_id, price=price)
        lines.append(CheckoutItem.model_validate(values))
    return CheckoutRequest.model_validate(
        {**body.model_dump(by_alias=True, exclude_none=True), "items": lines}
    )


def cart_url(push_url: str) -> str:
    return push_url.rstrip("/") + CART_PATH


def cart_request(basket: CheckoutRequest, *, business_id: int) -> CartRequest:
    """R-041..R-044: the POST /cart body for the basket (the region must be in the directory)."""
    region_id = require_region(basket.region_id, "regionId")
    return CartRequest(
        cart=Cart(
            business_id=business_id,
            currency=CHECKOUT_CURRENCY,
            delivery_currency=CHECKOUT_CURRENCY,
            buyer=CartBuyer(type=basket.buyer.type),
            delivery=CartDelivery(region=cart_region(region_id)),
            items=[
                CartItem(
                    feed_id=item.feed_id,
                    offer_id=item.offer_id,
                    offer_name=item.offer_name,
                    price=float(item.price),
                    count=item.count,
                )
                for item in basket.items
            ],
        )
    )


# --- Judging the answer (OQ-16) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoreReply:
    status: int
    content_type: str | None
    body: bytes
    elapsed: float  # seconds


@dataclass(frozen=True, slots=True)
class JudgedAnswer:
    cart: CartAnswerBody
    warnings: list[Finding]


def no_answer(verdict: Verdict, url: str) -> StoreCallFailed:
    """The failure of a call that got no answer (``verdict`` from the transport)."""
    assert verdict.error_type is not None and verdict.error_subtype is not None
    timed_out = verdict.error_subtype is DeliveryErrorSubtype.READ_TIMED_OUT
    error = StoreCallTimedOut if timed_out else StoreCallFailed
    return error(
        _push_message(verdict.error_type, verdict.error_subtype, url, verdict.message or ""),
        code=verdict.error_subtype.value,
    )


def judge_reply(
    reply: StoreReply, *, url: str, basket: CheckoutRequest, deadline: float, now: datetime
) -> JudgedAnswer:
    """The store's answer when the Market can use it; ``StoreCallFailed`` otherwise."""
    cant, invalid = DeliveryErrorType.CANT_GET_RESPONSE, DeliveryErrorType.INVALID_RESPONSE
    if reply.elapsed > deadline:  # a late answer counts as none
        raise StoreCallTimedOut(
            _push_message(
                cant,
                DeliveryErrorSubtype.READ_TIMED_OUT,
                url,
                Messages.PUSH_DEADLINE.format(deadline=deadline),
            ),
            code=DeliveryErrorSubtype.READ_TIMED_OUT.value,
        )
    if reply.status != 200:
        detail = Messages.PUSH_STATUS.format(status=reply.status)
        store_error = _store_error(reply.body)
        raise _failure(
            cant,
            DeliveryErrorSubtype.HTTP,
            url,
            f"{detail}: {store_error}" if store_error else detail,
        )
    media_type = (reply.content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        shown = reply.content_type or "missing"
        detail = Messages.PUSH_MEDIA_TYPE.format(content_type=shown)
        raise _failure(cant, DeliveryErrorSubtype.UNSUPPORTED_MEDIA_TYPE, url, detail)
    data = _parse(reply.body)
    if data is UNPARSED:
        raise _failure(
            invalid, DeliveryErrorSubtype.CANT_PARSE_RESPONSE, url, Messages.PUSH_NOT_JSON
        )
    findings = check_answer(
        lines=[(item.feed_id, item.offer_id, item.count) for item in basket.items],
        status=reply.status,
        content_type=reply.content_type,
        data=data,
        elapsed=reply.elapsed,
        deadline=deadline,
        now=now,
    )
    errors = [finding for finding in findings if finding.severity is Severity.ERROR]
    if errors:
        raise StoreCallFailed(errors=[_invalid_data(url, finding) for finding in errors])
    try:
        answer = CartAnswer.model_validate(data)
    except ValidationError as exc:  # a shape the checks leave to the models
        problem = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise StoreCallFailed(
            errors=[
                _invalid_data(url, Finding("checkout", "model", "R-045", where, problem["msg"]))
            ]
        ) from None
    warnings = [finding for finding in findings if finding.severity is Severity.WARNING]
    return JudgedAnswer(answer.cart, warnings)


def _push_message(
    error_type: DeliveryErrorType, subtype: DeliveryErrorSubtype, url: str, detail: str
) -> str:
    return Messages.PUSH_FAILED.format(
        type=error_type.value, subtype=subtype.value, url=url, detail=detail
    )


def _failure(
    error_type: DeliveryErrorType, subtype: DeliveryErrorSubtype, url: str, detail: str
) -> StoreCallFailed:
    return StoreCallFailed(_push_message(error_type, subtype, url, detail), code=subtype.value)


def _invalid_data(url: str, finding: Finding) -> ErrorDetail:
    detail = Messages.PUSH_FINDING.format(
        rule=finding.rule, path=finding.path or "the answer", message=finding.message
    )
    subtype = DeliveryErrorSubtype.INVALID_DATA
    return ErrorDetail(
        subtype.value, _push_message(DeliveryErrorType.INVALID_RESPONSE, subtype, url, detail)
    )


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return UNPARSED


def _store_error(body: bytes) -> str | None:
    """The store's OQ-18 ``{"error": {"code", "message"}}`` as text, when it sent one."""
    try:
        error = StoreErrorBody.model_validate_json(body).error
    except ValidationError:
        return None
    return f"{error.code}: {error.message}"


# --- The order from the answer ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckoutPlan:
    """What the order is made of: each line with the count it is ordered in, the option, the
    payment and the delivery dates."""

    lines: list[tuple[CheckoutItem, int]]
    option: DeliveryOption
    payment: Payment
    from_date: date
    to_date: date


def plan_order(basket: CheckoutRequest, answer: CartAnswerBody) -> CheckoutPlan:
    """Everything from the store's answer; ``BasketUnavailable`` when it leaves nothing."""
    answered = _answered_lines(basket, answer)
    if not any(count for _, count, _ in answered):
        raise BasketUnavailable(Messages.NOTHING_ON_SALE)
    option = _choose_option(basket, answer.delivery_options)
    lines = [
        (item, count)
        for item, count, line in answered
        if count and (line is None or line.delivery is not False)
    ]
    if not lines:
        raise BasketUnavailable(Messages.NOTHING_TRAVELS.format(type=option.type))
    from_date, to_date = _dates(option)
    return CheckoutPlan(lines, option, _payment(option, answer), from_date, to_date)


def build_checkout_order(
    plan: CheckoutPlan,
    basket: CheckoutRequest,
    *,
    campaign_id: int,
    order_id: int,
    item_ids: list[int],
    now: datetime,
) -> Order:
    option = plan.option
    delivery_type = DeliveryType(option.type)
    delivery = PlacedDelivery(
        type=delivery_type,
        service_id=option.delivery_service_id or OWN_DELIVERY_SERVICE_ID,
        service_name=option.service_name,
        region_id=basket.region_id,
        price=Decimal(str(option.price)).quantize(_CENTS, ROUND_HALF_UP),
        from_date=plan.from_date,
        to_date=plan.to_date,
        shipment_date=None if delivery_type is DeliveryType.DIGITAL else plan.from_date,
    )
    return new_test_order(
        campaign_id=campaign_id,
        order_id=order_id,
        state=(OrderStatus.PROCESSING, OrderSubstatus.STARTED),
        delivery=delivery,
        payment=plan.payment,
        items=order_items(item_ids, plan.lines, basket.buyer.type),
        buyer=basket.buyer,
        now=now,
    )


def _answered_lines(
    basket: CheckoutRequest, answer: CartAnswerBody
) -> list[tuple[CheckoutItem, int, CartAnswerItem | None]]:
    """Each requested line with the count it can be ordered in and the line that answered it
    (in order, for an offer asked for on several lines; None: not answered, count 0)."""
    by_offer: dict[tuple[int, str], deque[CartAnswerItem]] = defaultdict(deque)
    for answered in answer.items:
        by_offer[(answered.feed_id, sku_key(answered.offer_id))].append(answered)
    result: list[tuple[CheckoutItem, int, CartAnswerItem | None]] = []
    for item in basket.items:
        queue = by_offer.get((item.feed_id, sku_key(item.offer_id)))
        line = queue.popleft() if queue else None
        count = 0 if line is None else max(min(item.count, line.count), 0)
        result.append((item, count, line))
    return result


def _choose_option(basket: CheckoutRequest, options: list[DeliveryOption]) -> DeliveryOption:
    if not options:
        raise BasketUnavailable(Messages.NO_OPTIONS.format(region_id=basket.region_id))
    if basket.delivery_type is None:
        return options[0]
    for option in options:
        if option.type == basket.delivery_type:
            return option
    offered = ", ".join(dict.fromkeys(option.type for option in options))
    raise BasketUnavailable(
        Messages.NO_OPTION_OF_TYPE.format(
            type=basket.delivery_type.value, region_id=basket.region_id, offered=offered
        )
    )


def _payment(option: DeliveryOption, answer: CartAnswerBody) -> Payment:
    methods = (
        option.payment_methods if option.payment_methods is not None else answer.payment_methods
    )
    for method in methods:
        if method == CartPaymentMethod.SHOP_PREPAID:
            return SHOP_PREPAID_PAYMENT
        if method in PaymentMethod.__members__ and method != PaymentMethod.UNKNOWN:
            known = PaymentMethod(method)
            paid = PaymentType.POSTPAID if known in POSTPAID_METHODS else PaymentType.PREPAID
            return Payment(paid, known)
    raise BasketUnavailable(
        Messages.NO_PAYMENT_METHOD.format(type=option.type, methods=", ".join(methods) or "none")
    )


def _dates(option: DeliveryOption) -> tuple[date, date]:
    """The delivery dates: the first interval's day when the option has intervals (the buyer
    takes the first one offered), else ``fromDate``..``toDate`` (only ``fromDate``: that day)."""
    dates = option.dates
    if dates.intervals:
        day = _date(dates.intervals[0].date)
        return day, day
    first = _date(dates.from_date)
    return first, _date(dates.to_date) if dates.to_date else first


def _date(value: str) -> date:
    return datetime.strptime(value, limits.CART_DATE_FORMAT).date()
