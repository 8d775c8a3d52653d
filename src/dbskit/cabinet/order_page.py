"""An order's page: its whole story as one timeline, its keys a page at a time, and what the
Market or the buyer can do to it (the sandbox services, called directly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dbskit.cabinet._auth import PREFIX, Visit, posted_form, signed_in
from dbskit.cabinet._emails import EmailView, email_view
from dbskit.cabinet._fields import Fields, path_id
from dbskit.cabinet._views import CLOCK_UNITS, done, render
from dbskit.contract.enums import OrderStatus, OrderSubstatus
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.outbox import MessageKind
from dbskit.contract.sandbox import SandboxStatusRequest
from dbskit.contract.sandbox_campaigns import DeliveryDateChangeTrigger
from dbskit.contract.validation import bad_request_from
from dbskit.market.services import sandbox_orders, sandbox_triggers
from dbskit.market.services.cabinet_queries import (
    KEYS_PAGE_MAX,
    TimelineEvent,
    TimelineKind,
    order_keys_page,
    order_timeline,
)
from dbskit.market.services.outbox import read_outbox

# Ours: keys on one page of the cabinet; with the rest of the page well under 200 KB.
CABINET_KEYS_PAGE: Final = 200
ORDER_ID: Final = "order_id"
DAY_FORMAT: Final = "%d-%m-%Y"  # how the control plane takes delivery days


def order_path(order_id: int) -> str:
    return f"{PREFIX}/orders/{order_id}"


def _order_not_found(order_id: int) -> NotFound:
    return NotFound(Messages.ORDER_NOT_FOUND.format(order_id=order_id))


@dataclass(frozen=True, slots=True)
class EventView:
    """A timeline event as the page shows it: an e-mail as the buyer sees it (its payload not
    repeated in the details), everything else in the details."""

    event: TimelineEvent
    detail: dict[str, object]
    email: EmailView | None
    call: str | None = None  # a Partner API call's method and path


def event_view(event: TimelineEvent, order_id: int) -> EventView:
    if event.kind is TimelineKind.CALL:
        # A line each (up to TIMELINE_CALLS_SHOWN of them): the entry's page has the rest.
        detail = {"fault": event.detail["fault"]} if event.detail.get("fault") else {}
        call = f"{event.detail.get('method', '')} {event.detail.get('path', '')}"
        return EventView(event, detail, None, call)
    payload = event.detail.get("payload")
    if event.kind is not TimelineKind.EMAIL or not isinstance(payload, dict) or not event.ref:
        return EventView(event, event.detail, None)
    detail = {name: value for name, value in event.detail.items() if name != "payload"}
    for name in ("channel", "delivered"):
        if name in payload:
            detail[name] = payload[name]
    email = email_view(payload, order_id=order_id, message_id=int(event.ref))
    return EventView(event, detail, email)


async def show_order(request: Request) -> Response:
    visit = signed_in(request)
    order_id = path_id(request, ORDER_ID)
    await visit.runtime.query_log.flush()  # this instance's latest calls are on the timeline
    timeline = await order_timeline(visit.runtime, order_id)
    if timeline is None:
        raise _order_not_found(order_id)
    return render(
        request,
        visit,
        "order.html",
        section="orders",
        summary=timeline.summary,
        order=timeline.order,
        events=[event_view(event, order_id) for event in timeline.events],
        counts=timeline.counts,
        keys_page=CABINET_KEYS_PAGE,
        clock_units=list(CLOCK_UNITS),
        statuses=[status.value for status in OrderStatus],
        substatuses=[substatus.value for substatus in OrderSubstatus],
    )


async def show_keys(request: Request) -> Response:
    visit = signed_in(request)
    order_id = path_id(request, ORDER_ID)
    query = Fields.of_query(request)
    offset = query.integer("offset", low=0) or 0
    limit = query.integer("limit", high=KEYS_PAGE_MAX) or CABINET_KEYS_PAGE
    keys = await order_keys_page(visit.runtime, order_id, offset=offset, limit=limit)
    if keys is None:
        raise _order_not_found(order_id)
    base = f"{order_path(order_id)}/keys"
    shown_to = keys.offset + len(keys.keys)
    next_page = f"{base}?offset={shown_to}&limit={limit}" if shown_to < keys.total else None
    previous_page = None
    if keys.offset > 0:
        previous_page = f"{base}?offset={max(keys.offset - limit, 0)}&limit={limit}"
    return render(
        request,
        visit,
        "keys.html",
        section="orders",
        keys=keys,
        next_page=next_page,
        previous_page=previous_page,
    )


async def show_email(request: Request) -> Response:
    """One e-mail whole, as the buyer sees it (however many keys it carries)."""
    visit = signed_in(request)
    order_id = path_id(request, ORDER_ID)
    message_id = path_id(request, "message_id")
    listing = await read_outbox(visit.runtime.db, order_id=order_id)
    for message in listing.messages:
        if message.id == message_id and message.kind is MessageKind.EMAIL:
            email = email_view(
                message.payload, order_id=order_id, message_id=message_id, whole=True
            )
            return render(
                request, visit, "email.html", section="outbox", message=message, email=email
            )
    raise NotFound(
        Messages.RESOURCE_NOT_FOUND.format(path=f"{order_path(order_id)}/emails/{message_id}")
    )


async def _order_form(request: Request) -> tuple[Visit, Fields, int, int]:
    visit, fields = await posted_form(request)
    return visit, fields, fields.required_integer("campaign"), path_id(request, ORDER_ID)


async def move(request: Request) -> Response:
    visit, fields, campaign_id, order_id = await _order_form(request)
    try:
        wanted = SandboxStatusRequest.model_validate(
            {"status": fields.raw("status"), "substatus": fields.raw("substatus")}
        )
    except ValidationError as exc:
        raise bad_request_from(exc) from None
    runtime = visit.runtime
    await sandbox_orders.move_order(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        request=wanted,
        now=runtime.clock.now(),
    )
    return done(order_path(order_id), "order-moved")


async def buyer_cancels(request: Request) -> Response:
    visit, fields, campaign_id, order_id = await _order_form(request)
    reason = fields.choice("reason", OrderSubstatus) or OrderSubstatus.USER_CHANGED_MIND
    runtime = visit.runtime
    await sandbox_triggers.buyer_cancels(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        reason=reason,
        now=runtime.clock.now(),
    )
    return done(order_path(order_id), "buyer-cancelled")


async def buyer_receives(request: Request) -> Response:
    visit, _fields, campaign_id, order_id = await _order_form(request)
    runtime = visit.runtime
    await sandbox_triggers.buyer_receives(
        runtime.db, campaign_id=campaign_id, order_id=order_id, now=runtime.clock.now()
    )
    return done(order_path(order_id), "buyer-received")


async def change_dates(request: Request) -> Response:
    visit, fields, campaign_id, order_id = await _order_form(request)
    from_day = fields.day("from_date")
    to_day = fields.day("to_date")
    try:
        change = DeliveryDateChangeTrigger.model_validate(
            {
                "fromDate": None if from_day is None else from_day.strftime(DAY_FORMAT),
                "toDate": None if to_day is None else to_day.strftime(DAY_FORMAT),
            }
        )
    except ValidationError as exc:
        raise bad_request_from(exc) from None
    runtime = visit.runtime
    await sandbox_triggers.change_delivery_dates(
        runtime.db,
        campaign_id=campaign_id,
        order_id=order_id,
        change=change,
        now=runtime.clock.now(),
    )
    return done(order_path(order_id), "dates-changed")


routes = [
    Route("/orders/{order_id}", show_order, methods=["GET"]),
    Route("/orders/{order_id}/keys", show_keys, methods=["GET"]),
    Route("/orders/{order_id}/emails/{message_id}", show_email, methods=["GET"]),
    Route("/orders/{order_id}/move", move, methods=["POST"]),
    Route("/orders/{order_id}/buyer-cancellation", buyer_cancels, methods=["POST"]),
    Route("/orders/{order_id}/buyer-received", buyer_receives, methods=["POST"]),
    Route("/orders/{order_id}/delivery-dates", change_dates, methods=["POST"]),
]
