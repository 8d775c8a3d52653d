"""The outbox: the e-mails as the buyer would see them (their HTML cleaned by ``nh3``, so nothing
in them runs or loads) and the API notifications with each delivery attempt."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dbskit.cabinet._auth import PREFIX, signed_in
from dbskit.cabinet._emails import EmailView, email_view
from dbskit.cabinet._fields import BadField, Fields, echoed, page_link
from dbskit.cabinet._views import render
from dbskit.contract.outbox import MessageKind, OutboxMessage
from dbskit.market.domain.query_log import InvalidPageToken
from dbskit.market.services.outbox import OUTBOX_PAGE, OUTBOX_PAGE_MAX, read_outbox_page

FILTERS: Final = ("campaign", "order", "limit")
OUTBOX_PATH: Final = PREFIX + "/outbox"
CURSOR_MAX: Final = 200  # ours: longer than any cursor this server gives


async def outbox_page(request: Request) -> Response:
    """A page of messages newest first (50 unless ``limit`` says), read a page at a time."""
    visit = signed_in(request)
    query = Fields.of_query(request)
    limit = query.integer("limit", high=OUTBOX_PAGE_MAX) or OUTBOX_PAGE
    cursor = query.text("cursor", max_length=CURSOR_MAX)
    try:
        found = await read_outbox_page(
            visit.runtime.db,
            campaign_id=query.integer("campaign"),
            order_id=query.integer("order"),
            limit=limit,
            cursor=cursor,
        )
    except InvalidPageToken:
        raise BadField("cursor", "not a page position this server gave") from None
    older = None
    if found.next_cursor is not None:
        older = page_link(OUTBOX_PATH, query, FILTERS, cursor=found.next_cursor)
    return render(
        request,
        visit,
        "outbox.html",
        section="outbox",
        messages=[(message, _email_of(message)) for message in found.messages],
        first_page=cursor is None,
        next_page=older,
        form=echoed(query, FILTERS),
    )


def _email_of(message: OutboxMessage) -> EmailView | None:
    if message.kind is not MessageKind.EMAIL:
        return None
    return email_view(message.payload, order_id=message.order_id, message_id=message.id)


routes = [Route("/outbox", outbox_page, methods=["GET"])]
