"""Reading the query log newest first, a page at a time (``GET /sandbox/requests``)."""

from __future__ import annotations

from datetime import datetime

from dbskit.contract.sandbox import RequestLogPage, RequestLogPaging
from dbskit.database.db import Database, Transaction
from dbskit.database.values import from_micros, to_micros
from dbskit.market.domain.deprecations import deprecation_mark
from dbskit.market.domain.query_log import PagePosition
from dbskit.market.storage.query_log import newest_entries


def page_position(token: str) -> PagePosition:
    """The position a ``pageToken`` gives; ``InvalidPageToken`` for one this server did not
    issue, one out of every stored range included (``PagePosition.from_token``)."""
    return PagePosition.from_token(token)


def list_requests(
    conn: Transaction,
    *,
    since: datetime,
    limit: int,
    campaign_id: int | None = None,
    operation_id: str | None = None,
    status: int | None = None,
    order_id: int | None = None,
    after: PagePosition | None = None,
) -> RequestLogPage:
    """Entries at or after ``since`` (the retention cut-off), newest first, ``limit`` per page;
    each call to a deprecated method marked. ``after``: a position from ``page_position``."""
    # One entry more than the page tells whether another page follows.
    entries = newest_entries(
        conn,
        since=since,
        limit=limit + 1,
        campaign_id=campaign_id,
        operation_id=operation_id,
        status=status,
        order_id=order_id,
        after=None if after is None else (from_micros(after.at_us), after.entry_id),
    )
    page = entries[:limit]
    for entry in page:  # from the operation table as it is now: the row keeps no mark (OQ-29)
        entry.deprecated = deprecation_mark(entry.operation_id)
    next_token = None
    if len(entries) > limit:
        last = page[-1]
        next_token = PagePosition(to_micros(last.time), last.id).token()
    return RequestLogPage(requests=page, paging=RequestLogPaging(next_page_token=next_token))


async def read_requests(
    db: Database,
    *,
    since: datetime,
    limit: int,
    campaign_id: int | None = None,
    operation_id: str | None = None,
    status: int | None = None,
    order_id: int | None = None,
    after: PagePosition | None = None,
) -> RequestLogPage:
    """``list_requests`` in a read transaction of its own."""
    return await db.run_read(
        lambda conn: list_requests(
            conn,
            since=since,
            limit=limit,
            campaign_id=campaign_id,
            operation_id=operation_id,
            status=status,
            order_id=order_id,
            after=after,
        )
    )
