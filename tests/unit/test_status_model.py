"""The status tables, checked exhaustively: every state an order can be in, against every
(status, substatus) a caller could name (R-097..R-102, R-105, OQ-23, OQ-24, OQ-26).

The expected moves are written out here by hand, apart from the tables under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dbskit.contract.enums import DeliveryType, OrderStatus, OrderSubstatus
from dbskit.contract.errors import ApiError, ErrorCode
from dbskit.market.domain.order import BuyerCall
from dbskit.market.domain.status_model import (
    Outcome,
    StatusChange,
    decide_market_move,
    decide_store_change,
    user_unreachable_allowed,
    valid_states,
)
from tests.unit.factories import CREATED, make_order

S = OrderStatus
Sub = OrderSubstatus
NOW = CREATED + timedelta(hours=5)

STORE_REASONS = {
    Sub.SHOP_FAILED,
    Sub.USER_UNREACHABLE,
    Sub.USER_CHANGED_MIND,
    Sub.USER_REFUSED_DELIVERY,
    Sub.USER_REFUSED_PRODUCT,
    Sub.USER_REFUSED_QUALITY,
    Sub.REPLACING_ORDER,
}
BUYER_REASONS = STORE_REASONS - {Sub.SHOP_FAILED, Sub.USER_UNREACHABLE}
MARKET_REASONS = {
    Sub.TOO_MANY_DELIVERY_DATE_CHANGES,
    Sub.TOO_LONG_DELIVERY,
    Sub.INCORRECT_PERSONAL_DATA,
    Sub.TECHNICAL_ERROR,
}


def cancel(reasons: set[OrderSubstatus]) -> set[tuple[OrderStatus, OrderSubstatus]]:
    return {(S.CANCELLED, reason) for reason in reasons}


def store_allowed(delivery_type: DeliveryType, state: tuple[S, Sub]) -> set[tuple[S, Sub]]:
    """OQ-26 as written in RULES.md."""
    status, substatus = state
    if delivery_type is DeliveryType.DIGITAL:
        return cancel({Sub.SHOP_FAILED}) if status is S.PROCESSING else set()
    if status is S.PROCESSING:
        moves = {(S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED)} | cancel(STORE_REASONS)
        if substatus is Sub.STARTED:
            moves.add((S.PROCESSING, Sub.READY_TO_SHIP))
        return moves
    if status is S.DELIVERY:
        moves = {(S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED)} | cancel(STORE_REASONS)
        if delivery_type is DeliveryType.PICKUP:
            moves.add((S.PICKUP, Sub.PICKUP_SERVICE_RECEIVED))
        return moves
    if status is S.PICKUP:
        return {(S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED)} | cancel(STORE_REASONS)
    return set()


def market_allowed(
    delivery_type: DeliveryType, state: tuple[S, Sub]
) -> dict[tuple[S, Sub], Outcome]:
    """R-097, R-101, R-102, R-105 as the sandbox drives them."""
    status = state[0]
    apply, request = Outcome.APPLY, Outcome.CANCELLATION_REQUEST
    moves: dict[tuple[S, Sub], Outcome] = {}
    if status is S.PROCESSING:
        moves |= dict.fromkeys(cancel(BUYER_REASONS | MARKET_REASONS), apply)
        if delivery_type is DeliveryType.DIGITAL:
            moves[(S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED)] = apply
        return moves
    if delivery_type is DeliveryType.DIGITAL:
        return moves  # a digital order is never handed to delivery
    if status in {S.DELIVERY, S.PICKUP}:
        moves |= dict.fromkeys(cancel(BUYER_REASONS), request)
        moves |= dict.fromkeys(cancel(MARKET_REASONS), apply)
    arbitration = cancel((STORE_REASONS - {Sub.USER_UNREACHABLE}) | MARKET_REASONS)
    if state == (S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED):
        moves[(S.DELIVERY, Sub.USER_RECEIVED)] = apply
        moves[(S.DELIVERY, Sub.DELIVERY_USER_NOT_RECEIVED)] = apply
    if state == (S.DELIVERY, Sub.USER_RECEIVED):
        moves[(S.DELIVERY, Sub.DELIVERY_USER_NOT_RECEIVED)] = apply
        moves[(S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED)] = apply
    if state == (S.DELIVERY, Sub.DELIVERY_USER_NOT_RECEIVED):
        moves[(S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED)] = apply
        moves |= dict.fromkeys(arbitration, apply)
    if state == (S.PICKUP, Sub.PICKUP_SERVICE_RECEIVED):
        moves[(S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED)] = apply
        moves[(S.CANCELLED, Sub.PICKUP_EXPIRED)] = apply
    if state == (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED):
        moves[(S.DELIVERED, Sub.DELIVERED_USER_NOT_RECEIVED)] = apply
    if state == (S.DELIVERED, Sub.DELIVERED_USER_NOT_RECEIVED):
        moves |= dict.fromkeys(arbitration, apply)
    return moves


def expected_refusal(allowed: set[tuple[S, Sub]], state: tuple[S, Sub], target: S) -> str:
    if any(status is target for status, _ in allowed):
        return ErrorCode.SUBSTATUS_NOT_ALLOWED
    if state[0] in {S.DELIVERED, S.CANCELLED}:
        return ErrorCode.ORDER_IN_TERMINAL_STATE
    return ErrorCode.STATUS_NOT_ALLOWED


STORE_IMPLIED = {
    S.PROCESSING: Sub.READY_TO_SHIP,
    S.DELIVERY: Sub.DELIVERY_SERVICE_RECEIVED,
    S.PICKUP: Sub.PICKUP_SERVICE_RECEIVED,
    S.DELIVERED: Sub.DELIVERY_SERVICE_DELIVERED,
}
TARGETS = [(status, sub) for status in S for sub in [None, *Sub]]
STARTS = [
    pytest.param(kind, state, id=f"{kind}:{state[0]}/{state[1]}")
    for kind in DeliveryType
    if kind is not DeliveryType.UNKNOWN
    for state in sorted(valid_states(kind))
]


def refusal_code(call: object) -> str:
    with pytest.raises(ApiError) as caught:
        call()  # type: ignore[operator]
    [error] = caught.value.errors
    assert caught.value.status == 400
    return error.code


@pytest.mark.parametrize(("kind", "state"), STARTS)
def test_store_table_every_target(kind: DeliveryType, state: tuple[S, Sub]) -> None:
    order = make_order(delivery_type=kind, status=state[0], substatus=state[1])
    allowed = store_allowed(kind, state)
    for status, named in TARGETS:
        substatus = named or STORE_IMPLIED.get(status)
        change = StatusChange(status, named)

        def decide(change: StatusChange = change) -> object:
            return decide_store_change(order, change, now=NOW)

        if substatus is None:
            expected = (
                ErrorCode.BAD_REQUEST if status is S.CANCELLED else ErrorCode.STATUS_NOT_ALLOWED
            )
            assert refusal_code(decide) == expected, (status, named)
        elif (status, substatus) == state:
            decision = decide_store_change(order, change, now=NOW)
            assert (decision.target, decision.changed) == (state, False), (status, named)
        elif (status, substatus) == (S.CANCELLED, Sub.USER_UNREACHABLE) and (
            status,
            substatus,
        ) in allowed:
            assert refusal_code(decide) == ErrorCode.USER_UNREACHABLE_NOT_ALLOWED
        elif (status, substatus) in allowed:
            decision = decide_store_change(order, change, now=NOW)
            assert decision.target == (status, substatus), (status, named)
            assert decision.changed and decision.outcome is Outcome.APPLY
        else:
            assert refusal_code(decide) == expected_refusal(allowed, state, status), (
                status,
                named,
            )


@pytest.mark.parametrize(("kind", "state"), STARTS)
def test_market_table_every_target(kind: DeliveryType, state: tuple[S, Sub]) -> None:
    order = make_order(delivery_type=kind, status=state[0], substatus=state[1])
    allowed = market_allowed(kind, state)
    for status, substatus in TARGETS:
        change = StatusChange(status, substatus)

        def decide(change: StatusChange = change) -> object:
            return decide_market_move(order, change)

        if substatus is None:
            # A bare status names no single Market move: the substatus is required where the
            # Market has moves to that status at all.
            expected = (
                ErrorCode.BAD_REQUEST
                if status in {S.CANCELLED, S.DELIVERY, S.DELIVERED}
                else ErrorCode.STATUS_NOT_ALLOWED
            )
            assert refusal_code(decide) == expected, (status, substatus)
        elif (status, substatus) == state:
            decision = decide_market_move(order, change)
            assert (decision.target, decision.changed) == (state, False)
        elif (status, substatus) in allowed:
            decision = decide_market_move(order, change)
            assert decision.target == (status, substatus)
            assert decision.changed and decision.outcome is allowed[(status, substatus)]
        else:
            assert refusal_code(decide) == expected_refusal(set(allowed), state, status), (
                status,
                substatus,
            )


def test_a_second_buyer_request_changes_nothing() -> None:
    order = make_order(
        status=S.DELIVERY,
        substatus=Sub.DELIVERY_SERVICE_RECEIVED,
        cancellation_requested_at=CREATED,
        cancellation_request_substatus=Sub.USER_CHANGED_MIND,
    )
    decision = decide_market_move(order, StatusChange(S.CANCELLED, Sub.USER_REFUSED_PRODUCT))
    assert (decision.outcome, decision.changed) == (Outcome.CANCELLATION_REQUEST, False)


MSK_10 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 10:00 in Moscow


def calls(*offsets_and_seconds: tuple[int, float]) -> list[BuyerCall]:
    return [
        BuyerCall(MSK_10 + timedelta(minutes=minutes), timedelta(seconds=seconds))
        for minutes, seconds in offsets_and_seconds
    ]


@pytest.mark.parametrize(
    ("made", "unreachable", "allowed"),
    [
        pytest.param(calls((0, 5), (45, 5), (90, 5)), False, True, id="three-calls-90-minutes"),
        pytest.param(calls((0, 5), (45, 5), (89, 5)), False, False, id="span-89-minutes"),
        pytest.param(calls((0, 5), (90, 5)), False, False, id="two-calls"),
        pytest.param(calls((0, 5), (45, 4.9), (90, 5)), False, False, id="a-call-under-5s"),
        pytest.param(calls((-180, 5), (45, 5), (90, 5)), False, False, id="a-call-at-07:00"),
        pytest.param(calls((659, 5), (600, 5), (500, 5)), False, True, id="last-at-20:59"),
        pytest.param(calls((660, 5), (600, 5), (500, 5)), False, False, id="a-call-at-21:00"),
        pytest.param([], True, True, id="number-unreachable"),
    ],
)
def test_user_unreachable_conditions(
    made: list[BuyerCall], unreachable: bool, allowed: bool
) -> None:
    """R-100: 3 calls, 08:00-21:00 buyer time, 90 minutes, 5 seconds; unless unreachable."""
    from dbskit.contract import limits

    assert (
        user_unreachable_allowed(made, phone_unreachable=unreachable, tz=limits.MARKET_TIMEZONE)
        is allowed
    )
    order = make_order(buyer_calls=tuple(made), buyer_phone_unreachable=unreachable)
    change = StatusChange(S.CANCELLED, Sub.USER_UNREACHABLE)
    if allowed:
        assert decide_store_change(order, change, now=NOW).target == (S.CANCELLED, change.substatus)
    else:
        assert refusal_code(lambda: decide_store_change(order, change, now=NOW)) == (
            ErrorCode.USER_UNREACHABLE_NOT_ALLOWED
        )
