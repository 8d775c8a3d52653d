"""An order's own state changes (``Order.apply``, ``request_cancellation``,
``cancel_unanswered``), for every move the status tables allow from every state an order can be
in (R-009, R-097..R-103).

Which moves are allowed is ``test_status_model``'s; here, what each does to the order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from dbskit.contract.enums import DeliveryType, OrderStatus, OrderSubstatus
from dbskit.market.domain.order import Order
from dbskit.market.domain.status_model import (
    Decision,
    Outcome,
    StatusChange,
    decide_market_move,
    decide_store_change,
)
from tests.unit.factories import CREATED, make_order
from tests.unit.test_status_model import STARTS, market_allowed, store_allowed

S = OrderStatus
Sub = OrderSubstatus
NOW = CREATED + timedelta(hours=5)
REQUESTED = CREATED + timedelta(hours=1)
CLOSED = {S.CANCELLED, S.DELIVERED}


def _starting(kind: DeliveryType, state: tuple[S, Sub]) -> Order:
    return make_order(delivery_type=kind, status=state[0], substatus=state[1])


def _with_request(order: Order) -> Order:
    """The order with a buyer's cancellation request open, to see what a move does to it."""
    return replace(
        order,
        cancellation_requested_at=REQUESTED,
        cancellation_request_substatus=Sub.USER_CHANGED_MIND,
    )


def _assert_applied(before: Order, decision: Decision) -> None:
    after = before.apply(decision, now=NOW)
    status, substatus = decision.target
    entering_processing = status is S.PROCESSING and before.status is not S.PROCESSING
    closing = status in CLOSED
    assert after == replace(
        before,
        status=status,
        substatus=substatus,
        updated_at=NOW,
        status_updated_at=NOW,
        processing_since=NOW if entering_processing else before.processing_since,
        real_delivery_date=decision.real_delivery_date or before.real_delivery_date,
        cancellation_requested_at=None if closing else REQUESTED,
        cancellation_request_substatus=None if closing else Sub.USER_CHANGED_MIND,
    ), decision.target


@pytest.mark.rule("R-009", "R-098", "R-099", "R-102", "OQ-26")
@pytest.mark.parametrize(("kind", "state"), STARTS)
def test_every_store_move_changes_the_order_as_decided(
    kind: DeliveryType, state: tuple[S, Sub]
) -> None:
    order = _starting(kind, state)
    for target in sorted(store_allowed(kind, state) - {(S.CANCELLED, Sub.USER_UNREACHABLE)}):
        decision = decide_store_change(order, StatusChange(*target), now=NOW)
        assert decision.outcome is Outcome.APPLY
        _assert_applied(_with_request(order), decision)


@pytest.mark.rule("R-097", "R-101", "R-102", "R-105")
@pytest.mark.parametrize(("kind", "state"), STARTS)
def test_every_market_move_changes_the_order_as_decided(
    kind: DeliveryType, state: tuple[S, Sub]
) -> None:
    order = _starting(kind, state)
    for target, outcome in sorted(market_allowed(kind, state).items()):
        decision = decide_market_move(order, StatusChange(*target))
        assert decision.outcome is outcome
        if outcome is Outcome.APPLY:
            _assert_applied(_with_request(order), decision)
            continue
        requested = order.request_cancellation(target[1], now=NOW)
        assert requested == replace(
            order,
            updated_at=NOW,
            cancellation_requested_at=NOW,
            cancellation_request_substatus=target[1],
        )
        assert requested.cancel_requested


@pytest.mark.rule("R-103")
def test_the_day_of_delivery_is_kept_from_the_decision() -> None:
    order = _starting(DeliveryType.PICKUP, (S.PICKUP, Sub.PICKUP_SERVICE_RECEIVED))
    delivered = date(2026, 3, 3)
    decision = Decision(
        (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED), Outcome.APPLY, True, delivered
    )
    assert order.apply(decision, now=NOW).real_delivery_date == delivered
    # A later change without a day keeps the one it has.
    later = Decision((S.DELIVERED, Sub.DELIVERED_USER_NOT_RECEIVED), Outcome.APPLY, True)
    moved = order.apply(decision, now=NOW).apply(later, now=NOW + timedelta(days=1))
    assert moved.real_delivery_date == delivered


@pytest.mark.rule("R-102")
def test_an_unanswered_request_cancels_the_order_for_its_reason() -> None:
    order = _with_request(
        _starting(DeliveryType.DELIVERY, (S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED))
    )
    due = REQUESTED + timedelta(hours=48)
    assert order.cancel_unanswered(now=due) == replace(
        order,
        status=S.CANCELLED,
        substatus=Sub.USER_CHANGED_MIND,
        updated_at=due,
        status_updated_at=due,
        cancellation_requested_at=None,
        cancellation_request_substatus=None,
    )
    with pytest.raises(ValueError, match="no cancellation request"):
        _starting(
            DeliveryType.DELIVERY, (S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED)
        ).cancel_unanswered(now=due)
