"""The sandbox's order view: the order as getOrder shows it and what the Market keeps behind it.

One read transaction, so the parts agree with each other; then a second read, of the query log
(on SQLite a database of its own), for the calls to deprecated methods that named the order
(OQ-29). Nothing here writes: a view never changes the order, its keys or its outbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from dbskit.contract import limits
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.sandbox_order_view import (
    DeprecatedCallView,
    DigitalDeliveryView,
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
from dbskit.market.domain.deprecations import (
    ORDER_METHODS,
    deprecation_mark,
    order_call_paths,
)
from dbskit.market.domain.digital_goods import (
    keys_lateness,
    steam_gift_mark_by,
    steam_gift_overdue,
)
from dbskit.market.domain.order import Order
from dbskit.market.domain.slip import sanitise_slip
from dbskit.market.services.order_view import order_dto
from dbskit.market.services.orders import require_order
from dbskit.market.services.outbox import list_messages
from dbskit.market.storage.access import campaign_access
from dbskit.market.storage.digital_keys import StoredKeys, load_keys
from dbskit.market.storage.order_warnings import warnings_of_order
from dbskit.market.storage.query_log import newest_calls_to_paths
from dbskit.market.storage.tracks import track_history

# Calls to deprecated methods the view lists at most, the newest (the query log has them all).
DEPRECATED_CALLS_SHOWN: Final = 100


async def get_sandbox_order_view(
    db: Database,
    *,
    log_db: Database,
    log_retention: timedelta,
    campaign_id: int,
    order_id: int,
    now: datetime,
) -> SandboxOrderView:
    """404 for an unknown campaign, then for an order that is not the campaign's (OQ-13).
    ``log_db`` holds the query log, whose entries are kept ``log_retention`` (R-111)."""

    def read(conn: Transaction) -> SandboxOrderView:
        if campaign_access(conn, campaign_id) is None:
            raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
        order = require_order(conn, campaign_id=campaign_id, order_id=order_id)
        stored = load_keys(conn, order_id)
        return SandboxOrderView(
            order=order_dto(order),
            digital_keys=_keys(order, stored) if stored else None,
            digital_delivery=_digital_delivery(order, now),
            lateness=_lateness(order, stored, now) if order.takes_keys else None,
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

    view = await db.run_read(read)
    calls = await log_db.run_read(
        lambda conn: _deprecated_calls(
            conn, campaign_id=campaign_id, order_id=order_id, since=now - log_retention
        )
    )
    view.deprecated_calls = calls or None
    return view


def _deprecated_calls(
    conn: Transaction, *, campaign_id: int, order_id: int, since: datetime
) -> list[DeprecatedCallView]:
    """getOrder calls that named the order, by campaign and path: getOrders names none."""
    calls = newest_calls_to_paths(
        conn,
        campaign_id=campaign_id,
        operation_ids=[op.operation_id for op in ORDER_METHODS],
        paths=order_call_paths(campaign_id=campaign_id, order_id=order_id),
        since=since,
        limit=DEPRECATED_CALLS_SHOWN,
    )
    views = []
    for call in calls:
        mark = deprecation_mark(call.operation_id)
        if mark is not None:
            views.append(
                DeprecatedCallView(
                    at=call.at,
                    operation_id=call.operation_id,
                    status=call.status,
                    replacement=mark.replacement,
                    shutdown=mark.shutdown,
                )
            )
    return views


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


def _digital_delivery(order: Order, now: datetime) -> DigitalDeliveryView | None:
    if order.digital_delivery is None:
        return None
    mark_by = steam_gift_mark_by(order)
    warning = None
    if mark_by is not None and steam_gift_overdue(order, now):
        warning = Messages.STEAM_GIFT_NOT_MARKED.format(
            order_id=order.id, mark_by=mark_by.isoformat()
        )
    return DigitalDeliveryView(
        type=order.digital_delivery, steam_link=order.steam_link, mark_by=mark_by, warning=warning
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
