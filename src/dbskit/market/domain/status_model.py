"""The DBS order status model as data: who may move an order from which state to which.

Two tables. ``STORE_MOVES`` is what a store may send through PUT status (R-098, R-099, OQ-24,
OQ-26); ``MARKET_MOVES`` is what only the Market does (buyer received or not, buyer cancellation,
arbitration, automatic cancellations: R-097, R-101, R-102, R-105), driven in the emulator through
the sandbox. The functions here take an order, the wanted change and the date, and return a
decision or raise an error that carries its code; they touch no storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import Enum
from typing import Final

from dbskit.contract import limits
from dbskit.contract.enums import (
    DeliveryType,
    DigitalGoodsDeliveryType,
    OrderStatus,
    OrderSubstatus,
)
from dbskit.contract.errors import BadRequest, ErrorCode, Messages, OrderInTerminalState
from dbskit.market.domain.order import SELLER_DELIVERED_DIGITAL, BuyerCall, Order

S = OrderStatus
Sub = OrderSubstatus

State = tuple[OrderStatus, OrderSubstatus]

TERMINAL: Final = frozenset({S.DELIVERED, S.CANCELLED})

# OQ-24: reasons a DBS store may give; USER_UNREACHABLE only under R-100's conditions.
BUYER_REASONS: Final = frozenset(
    {
        Sub.USER_CHANGED_MIND,
        Sub.USER_REFUSED_DELIVERY,
        Sub.USER_REFUSED_PRODUCT,
        Sub.USER_REFUSED_QUALITY,
        Sub.REPLACING_ORDER,
    }
)
STORE_REASONS: Final = BUYER_REASONS | {Sub.SHOP_FAILED, Sub.USER_UNREACHABLE}
# Cancellations only the Market makes on an order that is being processed or delivered
# (docs:dbs-order-status-model.md; RESERVATION_EXPIRED and USER_NOT_PAID happen before
# PROCESSING, PROCESSING_EXPIRED is no longer used, so none of them apply here).
MARKET_REASONS: Final = frozenset(
    {
        Sub.TOO_MANY_DELIVERY_DATE_CHANGES,
        Sub.TOO_LONG_DELIVERY,
        Sub.INCORRECT_PERSONAL_DATA,
        Sub.TECHNICAL_ERROR,
    }
)
# An arbitration that ends a "not received" dispute in a cancellation names one of these.
ARBITRATION_REASONS: Final = (STORE_REASONS - {Sub.USER_UNREACHABLE}) | MARKET_REASONS

PHYSICAL: Final = frozenset(DeliveryType) - {DeliveryType.DIGITAL}
DIGITAL: Final = frozenset({DeliveryType.DIGITAL})
# OQ-26: digital orders whose keys the Market hands over, and those the seller delivers.
BY_KEYS: Final = frozenset(DigitalGoodsDeliveryType) - SELLER_DELIVERED_DIGITAL
BY_SELLER: Final = SELLER_DELIVERED_DIGITAL

# Every state an order of each kind can be in (sandbox orders may start in any of them).
_PHYSICAL_STATES: Final[frozenset[State]] = frozenset(
    {
        (S.PROCESSING, Sub.STARTED),
        (S.PROCESSING, Sub.READY_TO_SHIP),
        (S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED),
        (S.DELIVERY, Sub.USER_RECEIVED),
        (S.DELIVERY, Sub.DELIVERY_USER_NOT_RECEIVED),
        (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED),
        (S.DELIVERED, Sub.DELIVERED_USER_NOT_RECEIVED),
    }
    | {(S.CANCELLED, reason) for reason in STORE_REASONS | MARKET_REASONS}
)
_PICKUP_STATES: Final[frozenset[State]] = frozenset(
    {(S.PICKUP, Sub.PICKUP_SERVICE_RECEIVED), (S.CANCELLED, Sub.PICKUP_EXPIRED)}
)
_DIGITAL_STATES: Final[frozenset[State]] = frozenset(
    {(S.PROCESSING, Sub.STARTED), (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED)}
    | {(S.CANCELLED, reason) for reason in BUYER_REASONS | MARKET_REASONS | {Sub.SHOP_FAILED}}
)


def valid_states(delivery_type: DeliveryType) -> frozenset[State]:
    """The states an order with this delivery type can be in."""
    if delivery_type is DeliveryType.DIGITAL:
        return _DIGITAL_STATES
    if delivery_type is DeliveryType.PICKUP:
        return _PHYSICAL_STATES | _PICKUP_STATES
    return _PHYSICAL_STATES


class Outcome(Enum):
    APPLY = "apply"  # the order takes the target state
    CANCELLATION_REQUEST = "cancellation_request"  # status stays; the store must answer


@dataclass(frozen=True, slots=True)
class Move:
    """From any of ``sources`` (a substatus of None means any) to ``target``."""

    sources: frozenset[tuple[OrderStatus, OrderSubstatus | None]]
    target: State
    delivery_types: frozenset[DeliveryType]
    outcome: Outcome = Outcome.APPLY
    # For a move of digital orders only: how they reach the buyer (None: however they do).
    digital_deliveries: frozenset[DigitalGoodsDeliveryType] | None = None

    def leaves(self, order: Order) -> bool:
        if order.delivery_type not in self.delivery_types:
            return False
        if self.digital_deliveries is not None and (
            (order.digital_delivery or DigitalGoodsDeliveryType.EMAIL)
            not in self.digital_deliveries
        ):
            return False
        return (order.status, order.substatus) in self.sources or (
            order.status,
            None,
        ) in self.sources


def _from(
    *states: tuple[OrderStatus, OrderSubstatus | None],
) -> frozenset[tuple[OrderStatus, OrderSubstatus | None]]:
    return frozenset(states)


def _cancellations(
    sources: frozenset[tuple[OrderStatus, OrderSubstatus | None]],
    reasons: Iterable[OrderSubstatus],
    delivery_types: frozenset[DeliveryType],
    outcome: Outcome = Outcome.APPLY,
) -> tuple[Move, ...]:
    return tuple(
        Move(sources, (S.CANCELLED, reason), delivery_types, outcome) for reason in sorted(reasons)
    )


_ANY_PROCESSING: Final = _from((S.PROCESSING, None))
_ACTIVE: Final = _from((S.PROCESSING, None), (S.DELIVERY, None), (S.PICKUP, None))
_IN_DELIVERY: Final = _from((S.DELIVERY, None), (S.PICKUP, None))

# OQ-26 (with R-099 and OQ-24): the store's moves through PUT status. READY_TO_SHIP may be
# skipped; PICKUP is reachable only for pick-up orders; digital orders may be cancelled, and a
# Steam gift or chat order is marked delivered by the seller who delivered it.
STORE_MOVES: Final[tuple[Move, ...]] = (
    Move(_from((S.PROCESSING, Sub.STARTED)), (S.PROCESSING, Sub.READY_TO_SHIP), PHYSICAL),
    Move(_ANY_PROCESSING, (S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED), PHYSICAL),
    Move(
        _from((S.DELIVERY, None)),
        (S.PICKUP, Sub.PICKUP_SERVICE_RECEIVED),
        frozenset({DeliveryType.PICKUP}),
    ),
    Move(_IN_DELIVERY, (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED), PHYSICAL),
    *_cancellations(_ACTIVE, STORE_REASONS, PHYSICAL),
    Move(_ANY_PROCESSING, (S.CANCELLED, Sub.SHOP_FAILED), DIGITAL),
    Move(
        _ANY_PROCESSING,
        (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED),
        DIGITAL,
        digital_deliveries=BY_SELLER,
    ),
)

_NOT_RECEIVED: Final = _from(
    (S.DELIVERY, Sub.DELIVERY_USER_NOT_RECEIVED), (S.DELIVERED, Sub.DELIVERED_USER_NOT_RECEIVED)
)
_EVERY_TYPE: Final = frozenset(DeliveryType)

# the moves only the Market makes.
MARKET_MOVES: Final[tuple[Move, ...]] = (
    # Buyer received the order (Yandex Delivery), or the delivery time ran out without it.
    Move(
        _from((S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED)),
        (S.DELIVERY, Sub.USER_RECEIVED),
        PHYSICAL,
    ),
    Move(
        _from((S.DELIVERY, Sub.DELIVERY_SERVICE_RECEIVED), (S.DELIVERY, Sub.USER_RECEIVED)),
        (S.DELIVERY, Sub.DELIVERY_USER_NOT_RECEIVED),
        PHYSICAL,
    ),
    Move(
        _from(
            (S.DELIVERY, Sub.USER_RECEIVED),
            (S.DELIVERY, Sub.DELIVERY_USER_NOT_RECEIVED),
            (S.PICKUP, Sub.PICKUP_SERVICE_RECEIVED),
        ),
        (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED),
        PHYSICAL,
    ),
    Move(
        _from((S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED)),
        (S.DELIVERED, Sub.DELIVERED_USER_NOT_RECEIVED),
        PHYSICAL,
    ),
    # Arbitration after "not received" may end in a cancellation.
    *_cancellations(_NOT_RECEIVED, ARBITRATION_REASONS, PHYSICAL),
    # a digital order is delivered once its keys went out (OQ-26: never a Steam gift or
    # chat order, which the seller marks).
    Move(
        _ANY_PROCESSING,
        (S.DELIVERED, Sub.DELIVERY_SERVICE_DELIVERED),
        DIGITAL,
        digital_deliveries=BY_KEYS,
    ),
    # a buyer's cancellation applies at once while PROCESSING ...
    *_cancellations(_ANY_PROCESSING, BUYER_REASONS, _EVERY_TYPE),
    # ... and is a request the store has 48 hours to answer once DELIVERY or PICKUP.
    *_cancellations(_IN_DELIVERY, BUYER_REASONS, PHYSICAL, Outcome.CANCELLATION_REQUEST),
    # R-101 and the Market's own reasons.
    *_cancellations(_ACTIVE, MARKET_REASONS, _EVERY_TYPE),
    *_cancellations(
        _from((S.PICKUP, None)), {Sub.PICKUP_EXPIRED}, frozenset({DeliveryType.PICKUP})
    ),
)


# --- Errors ---------------------------------------------------------------------------------


def _state(order: Order) -> str:
    return f"{order.status}/{order.substatus}" if order.substatus else str(order.status)


class StatusNotAllowed(BadRequest):
    default_code = ErrorCode.STATUS_NOT_ALLOWED

    def __init__(self, order: Order, target: OrderStatus) -> None:
        super().__init__(
            Messages.STATUS_NOT_ALLOWED.format(
                target=target, order_id=order.id, current=_state(order)
            )
        )


class SubstatusNotAllowed(BadRequest):
    default_code = ErrorCode.SUBSTATUS_NOT_ALLOWED

    def __init__(self, order: Order, target: State) -> None:
        status, substatus = target
        super().__init__(
            Messages.SUBSTATUS_NOT_ALLOWED.format(
                substatus=substatus, status=status, order_id=order.id, current=_state(order)
            )
        )


class UserUnreachableNotAllowed(BadRequest):
    default_code = ErrorCode.USER_UNREACHABLE_NOT_ALLOWED

    def __init__(self) -> None:
        super().__init__(Messages.USER_UNREACHABLE_NOT_ALLOWED)


class MissingSubstatus(BadRequest):
    def __init__(self) -> None:
        super().__init__("Missing field order.substatus")


class RealDeliveryDateNotAllowed(BadRequest):
    def __init__(self, message: str) -> None:
        super().__init__(message)


# --- Decisions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What a caller asks for: a status, perhaps a substatus, and (store only) a delivery day."""

    status: OrderStatus
    substatus: OrderSubstatus | None = None
    real_delivery_date: date | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The state the order takes (or keeps), and what else changes with it."""

    target: State
    outcome: Outcome
    changed: bool
    real_delivery_date: date | None = None


def implied_substatus(table: Sequence[Move], status: OrderStatus) -> OrderSubstatus | None:
    """The substatus a change means when it names only a status: the one target of that status."""
    substatuses = {move.target[1] for move in table if move.target[0] is status}
    return substatuses.pop() if len(substatuses) == 1 else None


def _target(table: Sequence[Move], change: StatusChange) -> State | None:
    substatus = change.substatus or implied_substatus(table, change.status)
    return None if substatus is None else (change.status, substatus)


def _refuse(table: Sequence[Move], order: Order, target: State) -> BadRequest:
    leaving = [move for move in table if move.leaves(order)]
    if any(move.target[0] is target[0] for move in leaving):
        return SubstatusNotAllowed(order, target)
    if order.status in TERMINAL:
        return OrderInTerminalState(order_id=order.id, status=order.status)
    return StatusNotAllowed(order, target[0])


def find_move(table: Sequence[Move], order: Order, target: State) -> Move | None:
    for move in table:
        if move.target == target and move.leaves(order):
            return move
    return None


def _decide(table: Sequence[Move], order: Order, change: StatusChange) -> tuple[State, Move | None]:
    """The target state, and the move to it (None when the order is already there)."""
    target = _target(table, change)
    if target is None:
        if any(move.target[0] is change.status for move in table):
            raise MissingSubstatus()
        raise StatusNotAllowed(order, change.status)
    if target == (order.status, order.substatus):
        return target, None  # OQ-23: repeating the current state changes nothing
    move = find_move(table, order, target)
    if move is None:
        raise _refuse(table, order, target)
    return target, move


def decide_store_change(
    order: Order, change: StatusChange, *, now: datetime, tz: tzinfo = limits.MARKET_TIMEZONE
) -> Decision:
    """PUT status (R-098..R-100, R-103, OQ-23, OQ-24, OQ-26)."""
    target, move = _decide(STORE_MOVES, order, change)
    today = now.astimezone(tz).date()
    real_date = _real_delivery_date(order, target, change.real_delivery_date, today, tz)
    if move is None:
        return Decision(target, Outcome.APPLY, changed=False)
    if target == (S.CANCELLED, Sub.USER_UNREACHABLE) and not user_unreachable_allowed(
        order.buyer_calls, phone_unreachable=order.buyer_phone_unreachable, tz=tz
    ):
        raise UserUnreachableNotAllowed()
    return Decision(target, Outcome.APPLY, changed=True, real_delivery_date=real_date)


def _real_delivery_date(
    order: Order, target: State, given: date | None, today: date, tz: tzinfo
) -> date | None:
    """R-103: only with PICKUP or DELIVERED, never in the future; the request date by default."""
    if target[0] not in {S.PICKUP, S.DELIVERED}:
        if given is not None:
            raise RealDeliveryDateNotAllowed(Messages.REAL_DELIVERY_DATE_STATUS)
        return None
    if given is None:
        return (
            order.real_delivery_date
            if target[0] is S.DELIVERED and order.real_delivery_date
            else today
        )
    if given > today:
        raise RealDeliveryDateNotAllowed(
            Messages.REAL_DELIVERY_DATE_FUTURE.format(value=given.isoformat())
        )
    created = order.created_at.astimezone(tz).date()
    if given < created:
        raise RealDeliveryDateNotAllowed(
            Messages.REAL_DELIVERY_DATE_BEFORE_ORDER.format(
                value=given.isoformat(), created=created.isoformat()
            )
        )
    return given


def decide_market_move(order: Order, change: StatusChange) -> Decision:
    """A Market-side move (sandbox): applied, or a buyer's cancellation request (R-102)."""
    target, move = _decide(MARKET_MOVES, order, change)
    if move is None:
        return Decision(target, Outcome.APPLY, changed=False)
    if move.outcome is Outcome.CANCELLATION_REQUEST and order.cancel_requested:
        return Decision(target, move.outcome, changed=False)  # one request at a time
    real_date = None
    if target[0] is S.DELIVERED:
        real_date = order.real_delivery_date
    return Decision(target, move.outcome, changed=True, real_delivery_date=real_date)


def cancellation_due(order: Order, requested_at: datetime) -> bool:
    """R-102: the request made at ``requested_at`` is still unanswered and the order open."""
    return (
        order.cancellation_requested_at == requested_at
        and order.status in {S.DELIVERY, S.PICKUP}
        and order.cancellation_request_substatus is not None
    )


def user_unreachable_allowed(
    calls: Iterable[BuyerCall], *, phone_unreachable: bool, tz: tzinfo
) -> bool:
    """R-100: 3+ calls of 5 s+ between 08:00 and 21:00 buyer time, 90+ minutes first to last.

    None of it is needed when the number could not be reached at all.
    """
    if phone_unreachable:
        return True
    start_hour, end_hour = limits.USER_UNREACHABLE_HOURS
    counted = sorted(
        call.started_at
        for call in calls
        if call.duration >= limits.USER_UNREACHABLE_CALL_MIN
        and start_hour <= call.started_at.astimezone(tz).hour < end_hour
    )
    return (
        len(counted) >= limits.USER_UNREACHABLE_CALLS_MIN
        and counted[-1] - counted[0] >= limits.USER_UNREACHABLE_SPAN_MIN
    )
