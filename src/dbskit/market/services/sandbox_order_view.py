"""The sandbox's order view: the order as getOrder shows it and what the Market keeps behind it.

One read transaction, so the parts agree with each other. Nothing here writes: a view never
changes the order, its keys or its outbox.
"""

from __future__ import annotations

from datetime import datetime

from dbskit.contract import limits
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.sandbox_order_view import (
    DigitalItemView,
    DigitalKeysView,
    KeyBatchView,
    LatenessView,
    MarkingItemView,
    MarkingUnitView,
    SandboxOrderView,
    TrackView,
    WarningView,
)
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.digital_goods import keys_lateness
from dbskit.market.domain.order import Order
from dbskit.market.domain.slip import sanitise_slip
from dbskit.market.services.order_view import order_dto
from dbskit.market.services.orders import require_order
from dbskit.market.services.outbox import list_messages
from dbskit.market.storage.access import campaign_access
from dbskit.market.storage.digital_keys import StoredKeys, load_keys
from dbskit.market.storage.order_warnings import warnings_of_order
from dbskit.market.storage.tracks import track_history


async def get_sandbox_order_view(
    db: Database, *, campaign_id: int, order_id: int, now: datetime
) -> SandboxOrderView:
    """404 for an unknown campaign, then for an order that is not the campaign's (OQ-13)."""

    def read(conn: Transaction) -> SandboxOrderView:
        if campaign_access(conn, campaign_id) is None:
            raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
        order = require_order(conn, campaign_id=campaign_id, order_id=order_id)
        stored = load_keys(conn, order_id)
        return SandboxOrderView(
            order=order_dto(order),
            digital_keys=_keys(order, stored) if stored else None,
            lateness=_lateness(order, stored, now) if order.is_digital else None,
            tracks=[
                TrackView(
                    track_code=record.track.track_code,
                    delivery_service_id=record.track.delivery_service_id,
                    set_at=record.set_at,
                    current=record.current,
                )
                for record in track_history(conn, order_id)
            ],
            marking=_marking(order),
            warnings=[
                WarningView(
                    at=stored_warning.at,
                    operation_id=stored_warning.operation_id,
                    code=stored_warning.warning.code,
                    rule=stored_warning.warning.rule,
                    message=stored_warning.warning.message,
                )
                for stored_warning in warnings_of_order(conn, order_id)
            ],
            outbox=list_messages(conn, campaign_id=campaign_id, order_id=order_id).messages,
        )

    return await db.run_read(read)


def _keys(order: Order, stored: StoredKeys) -> DigitalKeysView:
    items = []
    for item_keys in stored.submission.items:
        item = order.item(item_keys.item_id)
        batches = [
            KeyBatchView(
                codes=list(batch.codes),
                activate_till=batch.activate_till,
                slip=batch.slip,
                slip_rendered=sanitise_slip(batch.slip),
            )
            for batch in item_keys.batches
        ]
        items.append(
            DigitalItemView(
                id=item_keys.item_id,
                offer_id=item.offer_id if item else None,
                batches=batches,
            )
        )
    delivered_by = None
    if stored.emailed_at is not None:
        delivered_by = "chat" if stored.email_failed else "email"  # C-07
    return DigitalKeysView(
        calls=stored.accepted_calls + stored.repeated_calls,
        replacements=stored.accepted_calls - 1,
        identical_repeats=stored.repeated_calls,
        first_received_at=stored.first_accepted_at,
        received_at=stored.accepted_at,
        email_due_at=stored.email_due_at,
        delivered_at=stored.emailed_at,
        delivered_by=delivered_by,
        items=items,
    )


def _lateness(order: Order, stored: StoredKeys | None, now: datetime) -> LatenessView:
    received_at = stored.first_accepted_at if stored else None
    lateness = keys_lateness(order, received_at=received_at, now=now)
    return LatenessView(
        window_minutes=int(limits.DIGITAL_CODES_WINDOW.total_seconds() // 60),
        processing_since=lateness.processing_since,
        deadline=lateness.deadline,
        keys_received_at=lateness.received_at,
        late=lateness.late,
        late_by_seconds=lateness.late_by.total_seconds() if lateness.late_by else None,
    )


def _marking(order: Order) -> list[MarkingItemView]:
    return [
        MarkingItemView(
            id=item.id,
            offer_id=item.offer_id,
            count=item.count,
            required_instance_types=sorted(item.required_instance_types),
            units=[
                MarkingUnitView(
                    unit=position,
                    type=code.kind,
                    **code.as_instance().model_dump(exclude_none=True),
                )
                for position, code in enumerate(item.instances, start=1)
            ],
        )
        for item in order.items
    ]
