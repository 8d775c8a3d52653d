"""The job an order notification queues: read the order from the Market, decide, act.

Every run starts from the order as getBusinessOrders reports it now, so a run after an
interruption (the store killed mid-call, the Market unreachable after the client's retries)
finds out what happened: DELIVERED marks the keys delivered; CANCELLED releases them;
PROCESSING reserves again (the vault hands back the keys the items already hold) and sends the
identical body, which the Market takes as a repeat (OQ-01).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from dbskit.client import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from dbskit.contract.business_orders import BusinessOrderDTO
from dbskit.contract.enums import OrderStatus
from dbskit.contract.notifications import NotificationType
from dbskit.database.db import Transaction, UnitsOfWork
from dbskit.shop.autopilot import decisions
from dbskit.shop.autopilot.decisions import CancellationPolicy, Decision, Step
from dbskit.shop.autopilot.market import StoreMarket
from dbskit.shop.autopilot.slips import SlipTemplates
from dbskit.shop.storage import orders, vault
from dbskit.shop.storage.jobs import Job
from dbskit.shop.storage.orders import StoreOrder
from dbskit.shop.storage.vault import OutOfKeys, VaultKey
from dbskit.shop.worker import Done, Outcome, RetryLater, WaitFor

log = logging.getLogger("dbskit.store")

ORDER_JOB = "order"
# Ours: how often a job out of keys looks again (keys may have been imported meanwhile).
OUT_OF_KEYS_RECHECK = timedelta(seconds=30)
# Ours: how often a job without the means to call the Market looks again (after a restart with
# --store-api-key and --store-business-id it goes on).
UNCONFIGURED_RECHECK = timedelta(minutes=5)
# Ours: a 400 to the keys is looked at again this many times (the order may have changed under
# the call); then it is the seller's.
REFUSALS_BEFORE_SELLER = 3

# Ours: claims of a job whose order neither read finds (test and real orders) before the order
# is left to the seller. The reads between are 1, 2, 4 and 8 s apart (the worker's backoff):
# about 15 s in all, against the 30 minutes the keys have, for the Market to list an
# order it has just notified.
NOT_LISTED_ATTEMPTS = 5
# The status recorded for an order the Market never listed and no notification named one for.
STATUS_NOT_LISTED = "UNKNOWN"

_PROCESSING_EVENTS = frozenset(
    {NotificationType.ORDER_CREATED, NotificationType.ORDER_STATUS_UPDATED}
)


def job_payload(
    *,
    notification_type: NotificationType,
    order_id: int,
    campaign_id: int,
    event_at: datetime | None,
    status: str | None,
) -> dict[str, Any]:
    return {
        "type": notification_type.value,
        "orderId": order_id,
        "campaignId": campaign_id,
        "eventAt": event_at.isoformat() if event_at is not None else None,
        "status": status,
    }


@dataclass(frozen=True, slots=True)
class Autopilot:
    """What an order job needs: the store's database, the Market (None: not configured, with
    the reason), the slips and the cancellation policy."""

    database: UnitsOfWork
    market: StoreMarket | None
    unconfigured_reason: str | None
    slips: SlipTemplates
    policy: CancellationPolicy

    async def run(self, job: Job) -> Outcome:
        if self.market is None:
            reason = self.unconfigured_reason or decisions.REASON_NO_API_KEY
            return WaitFor(reason, UNCONFIGURED_RECHECK)
        payload = job.payload
        order_id = int(payload["orderId"])
        try:
            answered = await self.market.read_order(order_id)
        except (AuthenticationError, PermissionDeniedError, NotFoundError) as exc:
            # The key or the business id is wrong: nothing to gain from trying soon.
            reason = decisions.REASON_NO_ACCESS.format(detail=str(exc))
            log.error("order %d waits: %s", order_id, reason)
            return WaitFor(reason, UNCONFIGURED_RECHECK)
        order = answered.order
        if order is None:
            return await self._not_listed(job, order_id)
        market_now = answered.market_time or datetime.now(UTC)
        known = await self.database.run_read(lambda tx: orders.get_order(tx, order_id), short=True)
        keys_sent = known is not None and known.delivered_at is not None
        decision = decisions.decide(order, keys_sent=keys_sent, policy=self.policy)
        seen = _seen(order, known, payload)
        return await self._act(job, order, seen, decision, market_now)

    async def _not_listed(self, job: Job, order_id: int) -> Outcome:
        """Neither read found the order: read again later, then leave it to the seller, listed
        (an order notified is never dropped without a word)."""
        if job.attempts < NOT_LISTED_ATTEMPTS:
            log.info("order %d: not listed by the Market yet; reading it again", order_id)
            return RetryLater(decisions.REASON_NOT_LISTED)
        reason = decisions.REASON_NOT_LISTED
        log.error("order %d needs the seller: %s", order_id, reason)
        payload = job.payload
        known = await self.database.run_read(lambda tx: orders.get_order(tx, order_id), short=True)
        seen = known or StoreOrder(
            order_id=order_id,
            campaign_id=int(payload["campaignId"]),
            status=str(payload.get("status") or STATUS_NOT_LISTED),
        )
        await self._write(None, replace(seen, needs_seller=reason))
        return Done(reason)

    async def _act(
        self,
        job: Job,
        order: BusinessOrderDTO,
        seen: StoreOrder,
        decision: Decision,
        market_now: datetime,
    ) -> Outcome:
        step = decision.step
        if step is Step.DELIVER_KEYS:
            return await self._deliver(job, order, seen)
        if step is Step.MARK_DELIVERED:
            at = seen.delivered_at or _moment(order.update_date) or market_now
            late = _late(seen, at)
            await self._write(
                lambda tx: vault.mark_delivered(tx, order.order_id, at),
                replace(seen, delivered_at=at, late=late, needs_seller=None),
            )
            return Done()
        if step is Step.RELEASE_KEYS:
            released: list[int] = []
            await self._write(
                lambda tx: released.append(vault.release(tx, order.order_id)),
                replace(seen, needs_seller=None),
            )
            if released and released[0]:
                log.info("order %d cancelled: %d keys back in stock", order.order_id, released[0])
            return Done()
        if step is Step.ACCEPT_CANCELLATION:
            assert self.market is not None
            try:
                await self.market.accept_cancellation(
                    campaign_id=order.campaign_id, order_id=order.order_id
                )
            except BadRequestError as exc:
                reason = decisions.REASON_NOT_ACCEPTED.format(detail=str(exc))
                log.error("order %d: %s", order.order_id, reason)
                await self._write(None, replace(seen, needs_seller=reason))
                return Done(reason)
            log.info("order %d: the buyer's cancellation accepted", order.order_id)
            await self._write(None, replace(seen, note="cancellation accepted"))
            return Done()
        if step is Step.FOR_SELLER:
            log.warning("order %d needs the seller: %s", order.order_id, decision.reason)
            await self._write(None, replace(seen, needs_seller=decision.reason))
            return Done()
        await self._write(None, seen)
        return Done()

    async def _deliver(self, job: Job, order: BusinessOrderDTO, seen: StoreOrder) -> Outcome:
        assert self.market is not None
        try:
            held = await self.database.run_write(
                lambda tx: _reserve_and_record(tx, order, seen), short=True
            )
        except OutOfKeys as exc:
            reason = decisions.REASON_OUT_OF_KEYS.format(
                offer_id=exc.offer_id, needed=exc.needed, available=exc.available
            )
            log.warning("order %d waits: %s", order.order_id, reason)
            await self._write(None, replace(seen, needs_seller=reason))
            return WaitFor(reason, OUT_OF_KEYS_RECHECK)
        request = decisions.digital_codes_request(order, held, self.slips)
        try:
            answered_at = await self.market.send_keys(
                campaign_id=order.campaign_id, order_id=order.order_id, request=request
            )
        except BadRequestError as exc:
            if job.attempts < REFUSALS_BEFORE_SELLER:
                # The order may have moved under the call: the next run reads it again.
                return RetryLater(str(exc))
            reason = decisions.REASON_REFUSED.format(detail=str(exc))
            log.error("order %d: %s", order.order_id, reason)
            await self._write(None, replace(seen, needs_seller=reason))
            return Done(reason)
        delivered_at = answered_at or datetime.now(UTC)
        late = _late(seen, delivered_at)
        await self._write(
            lambda tx: vault.mark_delivered(tx, order.order_id, delivered_at),
            replace(seen, delivered_at=delivered_at, late=late, needs_seller=None),
        )
        if late and seen.created_at is not None:
            log.warning(
                "order %d: LATE, %s",
                order.order_id,
                decisions.late_reason(seen.created_at, delivered_at),
            )
        else:
            log.info("order %d: keys delivered", order.order_id)
        return Done()

    async def _write(self, work: Any, seen: StoreOrder) -> None:
        def unit(tx: Transaction) -> None:
            if work is not None:
                work(tx)
            orders.upsert_order(tx, seen)

        await self.database.run_write(unit, short=True)


def _reserve_and_record(
    tx: Transaction, order: BusinessOrderDTO, seen: StoreOrder
) -> dict[int, list[VaultKey]]:
    """Exactly ``count`` keys per item (OQ-02), all or none; the order recorded with them."""
    held = {
        item.id: vault.reserve(
            tx, order_id=order.order_id, item_id=item.id, offer_id=item.offer_id, count=item.count
        )
        for item in order.items
    }
    orders.upsert_order(tx, replace(seen, needs_seller=None))
    return held


def _seen(order: BusinessOrderDTO, known: StoreOrder | None, payload: dict[str, Any]) -> StoreOrder:
    """The store's record of the order as the Market reports it now. The 30-minute deadline is
    fixed the first time the order is seen in PROCESSING, from the notification's time when it
    told of that (ORDER_CREATED, ORDER_STATUS_UPDATED to PROCESSING), else the order's creation;
    both are the Market's clock (R-009)."""
    kind = decisions.digital_type(order)
    entered = known.created_at if known is not None else None
    due = known.keys_due_at if known is not None else None
    if due is None and kind is not None and order.status is OrderStatus.PROCESSING:
        entered = _entered_processing(order, payload)
        due = decisions.keys_due_at(entered) if entered is not None else None
    return StoreOrder(
        order_id=order.order_id,
        campaign_id=order.campaign_id,
        status=order.status.value,
        substatus=order.substatus.value,
        delivery_type=kind.value if kind is not None else None,
        created_at=entered,
        keys_due_at=due,
        delivered_at=known.delivered_at if known is not None else None,
        late=known.late if known is not None else False,
        needs_seller=known.needs_seller if known is not None else None,
        note=known.note if known is not None else None,
    )


def _entered_processing(order: BusinessOrderDTO, payload: dict[str, Any]) -> datetime | None:
    event_type = payload.get("type")
    event_at = _moment(payload.get("eventAt"))
    told = event_type in _PROCESSING_EVENTS and (
        event_type == NotificationType.ORDER_CREATED or payload.get("status") == "PROCESSING"
    )
    if told and event_at is not None:
        return event_at
    return _moment(order.creation_date)


def _late(seen: StoreOrder, delivered_at: datetime) -> bool:
    return seen.keys_due_at is not None and decisions.is_late(delivered_at, seen.keys_due_at)


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
