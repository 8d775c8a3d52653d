"""Reading the query log newest first, a page at a time (``GET /sandbox/requests``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, and_, or_, select

from dbskit.contract.sandbox import LoggedMessage, LoggedRequest, RequestLogPage, RequestLogPaging
from dbskit.market.domain.query_log import PagePosition
from dbskit.storage.tables import query_log
from dbskit.storage.types import from_micros, to_micros


def list_requests(
    conn: Connection,
    *,
    since: datetime,
    limit: int,
    campaign_id: int | None = None,
    after: PagePosition | None = None,
) -> RequestLogPage:
    """Entries at or after ``since`` (the retention cut-off), newest first, ``limit`` per page."""
    t = query_log.c
    query = select(query_log).where(t.at >= since)
    if campaign_id is not None:
        query = query.where(t.campaign_id == campaign_id)
    if after is not None:
        at = from_micros(after.at_us)
        query = query.where(or_(t.at < at, and_(t.at == at, t.id < after.entry_id)))
    rows = conn.execute(query.order_by(t.at.desc(), t.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    next_token = None
    if len(rows) > limit:
        last = page[-1]
        next_token = PagePosition(to_micros(last.at), last.id).token()
    return RequestLogPage(
        requests=[_logged(row) for row in page],
        paging=RequestLogPaging(next_page_token=next_token),
    )


def _logged(row: Row[tuple[object, ...]]) -> LoggedRequest:
    return LoggedRequest(
        id=row.id,
        time=row.at,
        method=row.method,
        path=row.path,
        query=row.query,
        status=row.status,
        operation_id=row.operation_id,
        campaign_id=row.campaign_id,
        business_id=row.business_id,
        request=LoggedMessage(
            headers=row.request_headers,
            body=row.request_body,
            body_size=row.request_size,
            body_truncated=row.request_truncated,
        ),
        response=LoggedMessage(
            headers=row.response_headers,
            body=row.response_body,
            body_size=row.response_size,
            body_truncated=row.response_truncated,
        ),
    )
