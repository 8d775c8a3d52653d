"""The rules of deliverDigitalGoods: which orders take keys, how many, repeats and the deadline.

R-007, R-009, R-012 and our decisions OQ-01 (repeats), OQ-02 (keys per item), OQ-03 (unknown
items, non-digital orders, status) and OQ-04 (late keys). Pure: the order, the validated request,
what was stored before and ``now`` in; a decision or an error carrying its code out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from dbskit.contract import limits
from dbskit.contract.digital_goods import DigitalGoodsSubmission
from dbskit.contract.enums import DeliveryType, DigitalGoodsDeliveryType, OrderStatus
from dbskit.contract.errors import (
    BadRequest,
    ErrorCode,
    ErrorDetail,
    InvalidOrderStatus,
    Messages,
    OrderInTerminalState,
    item_not_found,
)


class KeysItem(Protocol):
    """What the rules read of an item: its id and how many units (keys) it has."""

    @property
    def id(self) -> int: ...

    @property
    def count(self) -> int: ...


class KeysOrder(Protocol):
    """What deliverDigitalGoods' rules read of an order (an ``Order`` is one)."""

    @property
    def id(self) -> int: ...

    @property
    def status(self) -> OrderStatus: ...

    @property
    def status_updated_at(self) -> datetime | None: ...

    @property
    def processing_since(self) -> datetime | None: ...

    @property
    def delivery_type(self) -> DeliveryType: ...

    @property
    def is_digital(self) -> bool: ...

    @property
    def takes_keys(self) -> bool: ...

    @property
    def digital_delivery(self) -> DigitalGoodsDeliveryType | None: ...

    @property
    def items(self) -> Sequence[KeysItem]: ...

    def item(self, item_id: int) -> KeysItem | None: ...


DIGITAL_STATUSES = (OrderStatus.PROCESSING,)  # OQ-03
TERMINAL_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED})  # OQ-01


class NotDigital(BadRequest):
    """deliverDigitalGoods on an order whose ``delivery.type`` is not ``DIGITAL`` (OQ-03)."""

    def __init__(self, order: KeysOrder) -> None:
        super().__init__(
            Messages.NOT_DIGITAL.format(order_id=order.id, delivery_type=order.delivery_type)
        )


class KeysNotTaken(BadRequest):
    """deliverDigitalGoods on a Steam gift or chat order: the seller delivers it (OQ-26)."""

    def __init__(self, order: KeysOrder) -> None:
        super().__init__(
            Messages.KEYS_NOT_TAKEN.format(order_id=order.id, type=order.digital_delivery)
        )


class KeysAlreadyEmailed(BadRequest):
    """Different keys after the e-mail went out (OQ-01: replacing is possible only before)."""

    def __init__(self, order: KeysOrder) -> None:
        super().__init__(Messages.KEYS_ALREADY_EMAILED.format(order_id=order.id))


class KeysTooLate(BadRequest):
    """OQ-04 with ``cancel_late_digital``: the order is cancelled instead of taking the keys."""

    def __init__(self, order: KeysOrder, late_by: timedelta) -> None:
        super().__init__(
            Messages.KEYS_TOO_LATE.format(
                order_id=order.id,
                late=_duration(late_by),
                window=int(limits.DIGITAL_CODES_WINDOW.total_seconds() // 60),
            )
        )


class DigitalAction(StrEnum):
    STORE = "store"  # keep these keys; the e-mail goes out with them (first call or replacement)
    UNCHANGED = "unchanged"  # an identical repeat: answer 200, change nothing (OQ-01)
    CANCEL = "cancel"  # too late and cancel_late_digital is on: cancel with SHOP_FAILED (OQ-04)


@dataclass(frozen=True, slots=True)
class PreviousKeys:
    """What an earlier successful call left: its payload digest and whether it was e-mailed."""

    digest: str
    emailed: bool


@dataclass(frozen=True, slots=True)
class DigitalSwitches:
    lenient_key_counts: bool = False  # OQ-02: accept more keys than units
    cancel_late_digital: bool = False  # OQ-04


@dataclass(frozen=True, slots=True)
class DigitalDecision:
    action: DigitalAction
    late_by: timedelta | None = None  # past the 30-minute window (R-009, OQ-04)
    replaces: bool = False  # different keys replace stored ones (OQ-01)

    @property
    def late(self) -> bool:
        return self.late_by is not None


def steam_gift_mark_by(order: KeysOrder) -> datetime | None:
    """When a Steam gift order should be marked DELIVERED: 3 hours after it entered PROCESSING
    (spec DigitalGoodsDeliveryType). The docs name no sanction: the sandbox only warns."""
    if order.digital_delivery is not DigitalGoodsDeliveryType.STEAM_GIFT:
        return None
    if order.processing_since is None:
        return None
    return order.processing_since + limits.STEAM_GIFT_MARK_WITHIN


def steam_gift_overdue(order: KeysOrder, now: datetime) -> bool:
    """The Steam gift is still unmarked (PROCESSING) past its 3 hours."""
    mark_by = steam_gift_mark_by(order)
    return mark_by is not None and order.status is OrderStatus.PROCESSING and now > mark_by


def keys_deadline(order: KeysOrder) -> datetime | None:
    """When the 30-minute window closes: from the order's entry into PROCESSING (R-009)."""
    if order.processing_since is None:
        return None
    return order.processing_since + limits.DIGITAL_CODES_WINDOW


def late_by(order: KeysOrder, now: datetime) -> timedelta | None:
    """How far past the window ``now`` is; ``None`` up to and including the deadline itself."""
    deadline = keys_deadline(order)
    if deadline is None or now <= deadline:
        return None
    return now - deadline


@dataclass(frozen=True, slots=True)
class KeysLateness:
    """The keys against the 30-minute window, for the sandbox's order view (R-009, OQ-04)."""

    processing_since: datetime | None
    deadline: datetime | None
    received_at: datetime | None  # the first accepted keys; a replacement does not move it
    late_by: timedelta | None

    @property
    def late(self) -> bool:
        return self.late_by is not None


def keys_lateness(order: KeysOrder, *, received_at: datetime | None, now: datetime) -> KeysLateness:
    """Keys that came are measured when they first came. Keys that have not come are late once
    the window has closed: measured at ``now`` while the order waits in PROCESSING, or when it
    left PROCESSING without them."""
    if received_at is not None:
        measured_at = received_at
    elif order.status is OrderStatus.PROCESSING or order.status_updated_at is None:
        measured_at = now
    else:
        measured_at = order.status_updated_at
    return KeysLateness(
        processing_since=order.processing_since,
        deadline=keys_deadline(order),
        received_at=received_at,
        late_by=late_by(order, measured_at),
    )


def provide_order_digital_codes(
    order: KeysOrder,
    submission: DigitalGoodsSubmission,
    *,
    previous: PreviousKeys | None,
    now: datetime,
    switches: DigitalSwitches = DigitalSwitches(),
) -> DigitalDecision:
    """Decide what a deliverDigitalGoods call does to ``order`` (OQ-01..OQ-04)."""
    if not order.is_digital:
        raise NotDigital(order)
    if not order.takes_keys:
        raise KeysNotTaken(order)
    if order.status in TERMINAL_STATUSES:
        raise OrderInTerminalState(order_id=order.id, status=order.status)
    if order.status not in DIGITAL_STATUSES:
        raise InvalidOrderStatus(order_id=order.id, status=order.status, allowed=DIGITAL_STATUSES)
    errors = key_errors(order, submission, lenient=switches.lenient_key_counts)
    if errors:
        raise BadRequest(errors=errors)

    replaces = False
    if previous is not None:
        if previous.digest == submission.digest():
            return DigitalDecision(DigitalAction.UNCHANGED)
        if previous.emailed:
            raise KeysAlreadyEmailed(order)
        replaces = True
    lateness = late_by(order, now)
    if lateness is not None and switches.cancel_late_digital:
        return DigitalDecision(DigitalAction.CANCEL, lateness)
    return DigitalDecision(DigitalAction.STORE, lateness, replaces)


def key_errors(
    order: KeysOrder, submission: DigitalGoodsSubmission, *, lenient: bool
) -> list[ErrorDetail]:
    """Unknown item ids (OQ-03), then items whose key count differs from ``count`` (OQ-02).

    All keys of an order come in one call (R-007), so an item the call leaves out has 0 keys.
    """
    errors: list[ErrorDetail] = []
    given = submission.keys_by_item()
    for item_keys in submission.items:
        if order.item(item_keys.item_id) is None:
            field = f"items[{item_keys.first_index}].id"
            errors.append(item_not_found(order_id=order.id, item_id=item_keys.item_id, field=field))
    for item in order.items:
        count = len(given.get(item.id, ()))
        if count == item.count or (lenient and count > item.count):
            continue
        template = Messages.KEY_COUNT_AT_LEAST if lenient else Messages.KEY_COUNT
        message = template.format(
            item_id=item.id, order_id=order.id, expected=item.count, given=count
        )
        errors.append(ErrorDetail(ErrorCode.BAD_REQUEST, message))
    return errors


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"
