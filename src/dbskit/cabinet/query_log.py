"""The query log: every Partner API call, filtered, newest first; an entry with its bodies.

The list carries no bodies; an entry's page shows its headers and both bodies whole, as the log
kept them, so a 64 KB body is loaded only when asked for.
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dbskit.cabinet._auth import PREFIX, signed_in
from dbskit.cabinet._fields import BadField, Fields, echoed, page_link, path_id
from dbskit.cabinet._views import render
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.operations import OPERATIONS_BY_ID
from dbskit.market.services.cabinet_queries import (
    QUERY_LOG_PAGE,
    QUERY_LOG_PAGE_MAX,
    InvalidCursor,
    QueryLogFilter,
    query_log_entry,
    query_log_page,
)

REQUESTS_PATH: Final = PREFIX + "/requests"
FILTERS: Final = ("operation", "status", "campaign", "order", "since", "until", "limit")
HTTP_STATUS_MAX: Final = 599  # RFC 9110, section 15; 0 is a push call that got no answer
CURSOR_MAX: Final = 200  # ours: longer than any cursor this server gives


def log_filter(query: Fields) -> QueryLogFilter:
    operation = query.text("operation", max_length=64)
    if operation is not None and operation not in OPERATIONS_BY_ID:
        raise BadField("operation", f"not an operationId of the Partner API: {operation!r}")
    since = query.moment("since")
    until = query.moment("until")
    if since is not None and until is not None and until < since:
        raise BadField("until", "must not be before since")
    return QueryLogFilter(
        operation=operation,
        status=query.integer("status", low=0, high=HTTP_STATUS_MAX),
        campaign_id=query.integer("campaign"),
        order_id=query.integer("order"),
        since=since,
        until=until,
    )


async def requests_page(request: Request) -> Response:
    visit = signed_in(request)
    query = Fields.of_query(request)
    chosen = log_filter(query)
    limit = query.integer("limit", high=QUERY_LOG_PAGE_MAX) or QUERY_LOG_PAGE
    cursor = query.text("cursor", max_length=CURSOR_MAX)
    await visit.runtime.query_log.flush()  # this instance's latest calls are listed at once
    try:
        found = await query_log_page(visit.runtime, chosen, limit=limit, cursor=cursor)
    except InvalidCursor:
        raise BadField("cursor", "not a page position this server gave") from None
    next_page = None
    if found.next_cursor is not None:
        next_page = page_link(REQUESTS_PATH, query, FILTERS, cursor=found.next_cursor)
    return render(
        request,
        visit,
        "requests.html",
        section="requests",
        entries=found.entries,
        form=echoed(query, FILTERS),
        operations=sorted(OPERATIONS_BY_ID),
        next_page=next_page,
    )


async def entry_page(request: Request) -> Response:
    visit = signed_in(request)
    entry_id = path_id(request, "entry_id")
    await visit.runtime.query_log.flush()
    entry = await query_log_entry(visit.runtime, entry_id)
    if entry is None:
        raise NotFound(Messages.RESOURCE_NOT_FOUND.format(path=f"{REQUESTS_PATH}/{entry_id}"))
    return render(request, visit, "request.html", section="requests", entry=entry)


routes = [
    Route("/requests", requests_page, methods=["GET"]),
    Route("/requests/{entry_id}", entry_page, methods=["GET"]),
]
