"""The autopilot's decisions, pure: from the order as the Market reports it (getBusinessOrders)
and what the store has done for it, the one step to take next.

Only the Market's state of the order counts, never a notification's body: a notification says
that something happened; the order says what holds now (R-117: the latest time wins).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, Protocol

from dbskit.contract import limits
from dbskit.contract.business_orders import BusinessOrderDTO
from dbskit.contract.digital_goods import OrderDigitalItem, ProvideOrderDigitalCodesRequest
from dbskit.contract.enums import DeliveryType, DigitalGoodsDeliveryType, OrderStatus

CancellationPolicy = Literal["accept", "seller"]

# "for keys without expiry put any far-future date"; ours, the last day of 2099.
FAR_FUTURE_ACTIVATE_TILL = date(2099, 12, 31)

# The delivery types whose keys the Market hands over itself (spec DigitalGoodsDeliveryType);
# a Steam gift or a chat message is the seller's to send.
KEYS_BY_MARKET = frozenset(
    {DigitalGoodsDeliveryType.EMAIL, DigitalGoodsDeliveryType.ACTIVATION_CODE}
)

REASON_STEAM_GIFT = "STEAM_GIFT order: send the Steam gift yourself"
REASON_CHAT = "CHAT order: send the keys in the chat yourself"
REASON_CANCELLATION = "the buyer asked to cancel: accept or reject it (acceptOrderCancellation)"
REASON_OUT_OF_KEYS = "out of keys for offer {offer_id}: {needed} more needed, {available} left"
REASON_NO_BUSINESS = "the store's business id is not set (--store-business-id)"
REASON_NO_API_KEY = "the store has no Api-Key for the Market (--store-api-key)"
REASON_REFUSED = "the Market refused the keys: {detail}"
REASON_NOT_ACCEPTED = "the Market refused to accept the cancellation: {detail}"
REASON_NO_ACCESS = (
    "the Market refused the store's access (check the Api-Key and business id): {detail}"
)
REASON_NOT_LISTED = (
    "the Market does not list the order (getBusinessOrders, test and real orders): check it in"
    " the cabinet"
)
REASON_LATE = "keys delivered {minutes:.0f} min after the order entered PROCESSING (limit 30)"


class Step(StrEnum):
    NOTHING = "NOTHING"  # not the store's to do, or already done
    DELIVER_KEYS = "DELIVER_KEYS"  # reserve the keys and send them (again: the identical body)
    MARK_DELIVERED = "MARK_DELIVERED"  # the Market has the keys: never back to stock
    RELEASE_KEYS = "RELEASE_KEYS"  # cancelled before the keys went out: back to stock
    ACCEPT_CANCELLATION = "ACCEPT_CANCELLATION"
    FOR_SELLER = "FOR_SELLER"  # listed in `dbskit store status`


@dataclass(frozen=True, slots=True)
class Decision:
    step: Step
    reason: str | None = None  # for FOR_SELLER: what the seller is to do


def digital_type(order: BusinessOrderDTO) -> DigitalGoodsDeliveryType | None:
    """How a DIGITAL order reaches the buyer (R-012); None for any other order. A DIGITAL order
    without details is an e-mail one, the Market's default."""
    if order.delivery.type is not DeliveryType.DIGITAL:
        return None
    details = order.delivery.digital_goods
    return details.type if details is not None else DigitalGoodsDeliveryType.EMAIL


def decide(order: BusinessOrderDTO, *, keys_sent: bool, policy: CancellationPolicy) -> Decision:
    """The next step for ``order``. ``keys_sent``: the Market answered 200 to the store's keys."""
    status = order.status
    kind = digital_type(order)
    if status is OrderStatus.CANCELLED:
        # Keys the Market took may have reached the buyer: they never go back to stock.
        return Decision(Step.NOTHING if keys_sent else Step.RELEASE_KEYS)
    if status is OrderStatus.DELIVERED:
        return Decision(Step.MARK_DELIVERED if kind is not None else Step.NOTHING)
    if order.cancel_requested:
        if policy == "accept":
            return Decision(Step.ACCEPT_CANCELLATION)
        return Decision(Step.FOR_SELLER, REASON_CANCELLATION)
    if kind is DigitalGoodsDeliveryType.STEAM_GIFT:
        return Decision(Step.FOR_SELLER, REASON_STEAM_GIFT)
    if kind is DigitalGoodsDeliveryType.CHAT:
        return Decision(Step.FOR_SELLER, REASON_CHAT)
    if kind in KEYS_BY_MARKET and status is OrderStatus.PROCESSING and not keys_sent:
        return Decision(Step.DELIVER_KEYS)
    return Decision(Step.NOTHING)


# --- The 30-minute deadline, on the Market's clock (R-009) ------------------------------------


def keys_due_at(entered_processing_at: datetime) -> datetime:
    return entered_processing_at + limits.DIGITAL_CODES_WINDOW


def is_late(delivered_at: datetime, due_at: datetime) -> bool:
    return delivered_at > due_at


def late_reason(entered_processing_at: datetime, delivered_at: datetime) -> str:
    minutes = (delivered_at - entered_processing_at).total_seconds() / 60
    return REASON_LATE.format(minutes=minutes)


# --- The keys' request ---------------------------------------------------------------------


class HeldKey(Protocol):
    """A key the vault holds for an order item."""

    @property
    def key(self) -> str: ...

    @property
    def activate_till(self) -> date | None: ...

    @property
    def slip(self) -> str | None: ...


class SlipSource(Protocol):
    def slip_for(
        self, *, order_id: int, offer_id: str, offer_name: str, count: int, keys: Sequence[HeldKey]
    ) -> str: ...


def activate_till(keys: Sequence[HeldKey]) -> date:
    """One date per element: the earliest deadline of its keys, a key valid longer is still
    valid then; none at all is a far-future date (R-005)."""
    dates = [key.activate_till for key in keys if key.activate_till is not None]
    return min(dates) if dates else FAR_FUTURE_ACTIVATE_TILL


def digital_codes_request(
    order: BusinessOrderDTO, keys_by_item: Mapping[int, Sequence[HeldKey]], slips: SlipSource
) -> ProvideOrderDigitalCodesRequest:
    """One element per item id with exactly its keys (R-007, R-008, OQ-02), ``codes`` only (no
    ``code``): valid under both profiles (C-03..C-06). The same keys make the same body."""
    elements = []
    for item in order.items:
        keys = keys_by_item[item.id]
        slip = slips.slip_for(
            order_id=order.order_id,
            offer_id=item.offer_id,
            offer_name=item.offer_name,
            count=item.count,
            keys=keys,
        )
        elements.append(
            OrderDigitalItem.model_validate(
                {
                    "id": item.id,
                    "codes": [key.key for key in keys],
                    "slip": slip,
                    "activate_till": activate_till(keys).isoformat(),
                }
            )
        )
    return ProvideOrderDigitalCodesRequest(items=elements)
