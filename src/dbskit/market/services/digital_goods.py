"""deliverDigitalGoods (``provideOrderDigitalCodes``) and the e-mail that follows it.

One transaction on the locked order decides (OQ-01..OQ-04) and stores the keys; the first
accepted call schedules the e-mail on the sandbox clock ``digital_delivery_delay_seconds`` later
(OQ-05). When it falls due the buyer's e-mail goes to the outbox (or, with ``email_failure``, the
failed e-mail and the chat message that replaces it, C-07) and the order becomes
``DELIVERED``/``DELIVERY_SERVICE_DELIVERED`` (R-011).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from dbskit.contract.call_warnings import CallWarning
from dbskit.contract.digital_goods import DigitalGoodsSubmission
from dbskit.contract.enums import OrderStatus, OrderSubstatus
from dbskit.database.db import Database, Transaction
from dbskit.market.domain import digital_goods as rules
from dbskit.market.domain.order import Order
from dbskit.market.domain.slip import KeysEmail, render_keys_email
from dbskit.market.domain.status_model import (
    Decision,
    StatusChange,
    decide_market_move,
    decide_store_change,
)
from dbskit.market.services.order_notifications import record_order_events
from dbskit.market.services.orders import OrderNotFound, require_order
from dbskit.market.services.outbox import record_email
from dbskit.market.services.scheduler import ScheduledEvent, Scheduler, schedule
from dbskit.market.storage.digital_keys import (
    count_repeat,
    load_keys,
    lock_order_for_keys,
    mark_emailed,
    previous_keys,
    store_keys,
)
from dbskit.market.storage.order_warnings import record_warnings
from dbskit.market.storage.orders import load_order, save_order
from dbskit.market.storage.status_history import Actor
from dbskit.settings import Settings

OPERATION_ID: Final = "provideOrderDigitalCodes"
SEND_KEYS_EMAIL: Final = "digital.send_keys_email"  # the scheduled-event kind (OQ-05)
DELIVERED: Final = StatusChange(
    status=OrderStatus.DELIVERED, substatus=OrderSubstatus.DELIVERY_SERVICE_DELIVERED
)
LATE_CANCELLATION: Final = StatusChange(
    status=OrderStatus.CANCELLED, substatus=OrderSubstatus.SHOP_FAILED
)


@dataclass(frozen=True, slots=True)
class _Outcome:
    order: rules.KeysOrder
    decision: rules.DigitalDecision


def switches(settings: Settings) -> rules.DigitalSwitches:
    return rules.DigitalSwitches(
        lenient_key_counts=settings.lenient_key_counts,
        cancel_late_digital=settings.cancel_late_digital,
    )


async def provide_order_digital_codes(
    db: Database,
    *,
    campaign_id: int,
    order_id: int,
    submission: DigitalGoodsSubmission,
    now: datetime,
    settings: Settings,
    call_warnings: Sequence[CallWarning] = (),
) -> rules.DigitalDecision:
    """Take the keys of a DIGITAL order (R-007..R-011); 400 per OQ-01..OQ-04 otherwise.

    An accepted call (stored or an identical repeat) keeps its warnings (``call_warnings``, then
    C-03 and C-04 from the body) for the sandbox order view in the same transaction; a refused
    call writes nothing.
    """
    email_delay = timedelta(seconds=settings.digital_delivery_delay_seconds)

    def work(conn: Transaction) -> _Outcome:
        order = lock_order_for_keys(conn, campaign_id=campaign_id, order_id=order_id)
        if order is None:
            raise OrderNotFound(order_id)
        decision = rules.provide_order_digital_codes(
            order,
            submission,
            previous=previous_keys(conn, order_id),
            now=now,
            switches=switches(settings),
        )
        if decision.action is rules.DigitalAction.CANCEL:
            # OQ-04: the cancellation the store's own failure would give (SHOP_FAILED).
            whole = require_order(conn, campaign_id=campaign_id, order_id=order_id)
            _move(conn, whole, decide_store_change(whole, LATE_CANCELLATION, now=now), now)
            return _Outcome(order, decision)
        if decision.action is rules.DigitalAction.STORE:
            store_keys(
                conn,
                order_id=order_id,
                submission=submission,
                late_by=decision.late_by,
                now=now,
                email_due_at=now + email_delay,
                replacing=decision.replaces,
            )
            if not decision.replaces:  # a replacement rides on the e-mail already due
                schedule(
                    conn,
                    kind=SEND_KEYS_EMAIL,
                    due_at=now + email_delay,
                    payload={"campaignId": campaign_id, "orderId": order_id},
                    now=now,
                )
        else:
            count_repeat(conn, order_id)  # UNCHANGED
        record_warnings(
            conn,
            order_id=order_id,
            operation_id=OPERATION_ID,
            warnings=(*call_warnings, *submission.warnings),
            now=now,
        )
        return _Outcome(order, decision)

    outcome = await db.run_write(work, short=True)
    if outcome.decision.action is rules.DigitalAction.CANCEL:
        assert outcome.decision.late_by is not None
        # The cancellation is committed: it is the deadline's effect, not this request's.
        raise rules.KeysTooLate(outcome.order, outcome.decision.late_by)
    return outcome.decision


def email_payload(email: KeysEmail, *, channel: str, delivered: bool) -> dict[str, object]:
    return {
        "to": "buyer",
        "channel": channel,
        "delivered": delivered,
        "subject": email.subject,
        "html": email.html,
        "text": email.text,
    }


def _move(conn: Transaction, order: Order, decision: Decision, now: datetime) -> Order:
    """A status change with its notifications (R-011, OQ-05, OQ-25). Both are the Market's own
    rules (the e-mail sent, the deadline missed), not the call that happened to meet them."""
    updated = order.apply(decision, now=now)
    save_order(conn, updated, previous=order, actor=Actor.MARKET)
    record_order_events(conn, before=order, after=updated, now=now)
    return updated


def register_digital_events(scheduler: Scheduler, settings: Settings) -> None:
    def send_keys_email(conn: Transaction, event: ScheduledEvent) -> str:
        campaign_id = int(event.payload["campaignId"])
        order_id = int(event.payload["orderId"])
        now = event.due_at
        order = load_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=True)
        if order is None:
            return "order gone"
        stored = load_keys(conn, order_id)
        if stored is None or stored.emailed_at is not None:
            return "nothing to send"
        if order.status is not OrderStatus.PROCESSING:
            return f"order is {order.status}"
        email = render_keys_email(order, stored.submission)
        failed = settings.email_failure
        record_email(
            conn,
            campaign_id=campaign_id,
            order_id=order_id,
            payload=email_payload(email, channel="email", delivered=not failed),
            now=now,
        )
        if failed:  # C-07: the keys reach the buyer through the chat instead
            record_email(
                conn,
                campaign_id=campaign_id,
                order_id=order_id,
                payload=email_payload(email, channel="chat", delivered=True),
                now=now,
            )
        mark_emailed(conn, order_id=order_id, now=now, failed=failed)
        _move(conn, order, decide_market_move(order, DELIVERED), now)
        return "sent through the chat" if failed else "e-mailed"

    scheduler.register_writes(SEND_KEYS_EMAIL, send_keys_email)
