"""The cabinet's reads, inside the caller's read transaction: orders listed with a seller's
filters and the query log with filters, each a keyset page newest first, and what an order's
timeline needs that other modules do not read already.

Indexes (0016): ``ix_orders_cabinet`` (creation time, id, then the filtered columns) yields
every campaign's orders newest first and judges each filter inside the index;
``ix_orders_cabinet_campaign`` does the same for one campaign. The query log's pages walk
``ix_query_log_order`` (an order's calls), ``ix_query_log_status`` (a status other than a
success), ``ix_query_log_operation``, ``ix_query_log_campaign`` or ``ix_query_log_at``
(``_log_index``); the rest of the filter is judged on the index where it holds the columns, on
the rows the walk reaches otherwise. The chosen index is named to SQLite (``INDEXED BY``):
without statistics its planner may prefer an index that serves a filter but not the order, and
would then sort every matching row before returning fifty. A later page starts its walk at its
cursor (``keyset.older_than``), not at the newest row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Select, Table, and_, column, func, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import TableClause

from dbskit.contract.enums import DeliveryType, OrderStatus, OrderSubstatus
from dbskit.database.db import Transaction
from dbskit.market.storage.keyset import older_than
from dbskit.market.storage.tables import orders, query_log

# a cancellation request waits for the store's answer only in these statuses.
_AWAITING_ANSWER = (OrderStatus.DELIVERY.value, OrderStatus.PICKUP.value)


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """The filters a seller lists orders by; None leaves a filter out. ``created_from`` is
    inclusive, ``created_to`` exclusive. ``digital``: a DIGITAL delivery; ``marked``: an item
    needs marking codes; ``awaiting_cancellation_answer``: the buyer asked to cancel and the
    store has not answered yet (R-102)."""

    campaign_id: int | None = None
    status: OrderStatus | None = None
    substatus: OrderSubstatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    fake: bool | None = None
    digital: bool | None = None
    marked: bool | None = None
    awaiting_cancellation_answer: bool | None = None


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """An order as a line of the list (and the head of its timeline)."""

    id: int
    campaign_id: int
    status: OrderStatus
    substatus: OrderSubstatus | None
    fake: bool
    created_at: datetime
    updated_at: datetime
    status_updated_at: datetime
    delivery_type: DeliveryType
    digital: bool
    marked: bool
    cancellation_requested_at: datetime | None
    shipment_date: date | None


class _IndexedBy(TableClause):
    """A table read through one index: SQLite is told which (``INDEXED BY``); other databases
    choose by their statistics. Its columns are the table's, with their types."""

    inherit_cache = False  # the index is part of the SQL: each statement compiled afresh

    def __init__(self, table: Table, index: str) -> None:
        super().__init__(table.name, *(column(c.name, c.type) for c in table.c))
        self.index = index


@compiles(_IndexedBy)
def _indexed_by(element: _IndexedBy, compiler: SQLCompiler, **kw: Any) -> str:
    sql: str = compiler.visit_table(element, **kw)  # type: ignore[no-untyped-call]
    if compiler.dialect.name == "sqlite" and kw.get("asfrom"):
        sql += f" INDEXED BY {element.index}"
    return sql


_ORDERS_THROUGH = {
    name: _IndexedBy(orders, name) for name in ("ix_orders_cabinet", "ix_orders_cabinet_campaign")
}


def _summary_columns(c: ReadOnlyColumnCollection[str, Any]) -> tuple[Any, ...]:
    return (
        c.id,
        c.campaign_id,
        c.status,
        c.substatus,
        c.fake,
        c.created_at,
        c.updated_at,
        c.status_updated_at,
        c.delivery_type,
        c.has_cis,
        c.cancellation_requested_at,
        c.shipment_date,
    )


def _order_conditions(
    order_filter: OrderFilter, _o: ReadOnlyColumnCollection[str, Any]
) -> list[ColumnElement[bool]]:
    f = order_filter
    conditions: list[ColumnElement[bool]] = []
    if f.campaign_id is not None:
        conditions.append(_o.campaign_id == f.campaign_id)
    if f.status is not None:
        conditions.append(_o.status == f.status.value)
    if f.substatus is not None:
        conditions.append(_o.substatus == f.substatus.value)
    if f.created_from is not None:
        conditions.append(_o.created_at >= f.created_from)
    if f.created_to is not None:
        conditions.append(_o.created_at < f.created_to)
    if f.fake is not None:
        conditions.append(_o.fake == f.fake)
    if f.digital is not None:
        digital = _o.delivery_type == DeliveryType.DIGITAL.value
        conditions.append(digital if f.digital else ~digital)
    if f.marked is not None:
        conditions.append(_o.has_cis == f.marked)
    if f.awaiting_cancellation_answer is not None:
        awaiting = and_(_o.cancellation_requested_at.is_not(None), _o.status.in_(_AWAITING_ANSWER))
        conditions.append(awaiting if f.awaiting_cancellation_answer else ~awaiting)
    return conditions


def order_page(
    conn: Transaction,
    order_filter: OrderFilter,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[OrderSummary]:
    """Up to ``limit`` orders that pass the filter, newest first (creation time, then id); only
    those after ``after`` (a creation time and an id) in that order."""
    index = (
        "ix_orders_cabinet" if order_filter.campaign_id is None else "ix_orders_cabinet_campaign"
    )
    _o = _ORDERS_THROUGH[index].c
    query = select(*_summary_columns(_o)).where(*_order_conditions(order_filter, _o))
    if after is not None:
        query = query.where(*older_than(_o.created_at, _o.id, after))
    rows = conn.execute(query.order_by(_o.created_at.desc(), _o.id.desc()).limit(limit))
    return [_summary(row) for row in rows]


def order_summary(conn: Transaction, order_id: int) -> OrderSummary | None:
    row = conn.execute(select(*_summary_columns(orders.c)).where(orders.c.id == order_id)).first()
    return None if row is None else _summary(row)


def _summary(row: Any) -> OrderSummary:
    delivery_type = DeliveryType(row.delivery_type)
    return OrderSummary(
        id=row.id,
        campaign_id=row.campaign_id,
        status=OrderStatus(row.status),
        substatus=OrderSubstatus(row.substatus) if row.substatus else None,
        fake=bool(row.fake),
        created_at=row.created_at,
        updated_at=row.updated_at,
        status_updated_at=row.status_updated_at,
        delivery_type=delivery_type,
        digital=delivery_type is DeliveryType.DIGITAL,
        marked=bool(row.has_cis),
        cancellation_requested_at=row.cancellation_requested_at,
        shipment_date=row.shipment_date,
    )


# --- the query log ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryLogFilter:
    """None leaves a filter out; ``since`` inclusive, ``until`` exclusive."""

    operation: str | None = None
    status: int | None = None
    campaign_id: int | None = None
    order_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class QueryLogRow:
    """An entry without its headers and bodies."""

    id: int
    at: datetime
    method: str
    path: str
    query: str
    status: int
    operation_id: str | None
    campaign_id: int | None
    business_id: int | None
    order_id: int | None
    request_size: int
    response_size: int
    fault: str | None


@dataclass(frozen=True, slots=True)
class QueryLogEntryView:
    """An entry whole: headers (secrets redacted when it was written) and bodies as stored (the
    log keeps ``query_log_body_max_bytes`` of each; ``*_truncated`` says a body was longer)."""

    row: QueryLogRow
    request_headers: dict[str, str]
    request_body: str
    request_truncated: bool
    response_headers: dict[str, str]
    response_body: str
    response_truncated: bool
    fault_rule_id: int | None


_LEFT_OUT_STATUS = 200  # ix_query_log_status holds every entry but these (0016)
# The index's own condition, spelled as it is (SQLite uses a partial index only for a query that
# states its condition; a parameter in its place would not do).
_NOT_LEFT_OUT = text(f"status <> {_LEFT_OUT_STATUS}")
_LOG_THROUGH = {
    name: _IndexedBy(query_log, name)
    for name in (
        "ix_query_log_order",
        "ix_query_log_status",
        "ix_query_log_operation",
        "ix_query_log_campaign",
        "ix_query_log_at",
    )
}


def _row_columns(c: ReadOnlyColumnCollection[str, Any]) -> tuple[Any, ...]:
    return (
        c.id,
        c.at,
        c.method,
        c.path,
        c.query,
        c.status,
        c.operation_id,
        c.campaign_id,
        c.business_id,
        c.order_id,
        c.request_size,
        c.response_size,
        c.fault,
    )


def _log_index(log_filter: QueryLogFilter) -> str:
    """The index whose walk, newest first, meets the fewest entries the filter leaves out: an
    order's few; a status other than 200 (most answers are 200s, which that index leaves out);
    an operation; a campaign. The operation's and the status's indexes hold the campaign, the
    operation and the status, so the rest of those filters is judged in the index, without
    reading rows."""
    f = log_filter
    if f.order_id is not None:
        return "ix_query_log_order"
    if f.status is not None and f.status != _LEFT_OUT_STATUS:
        return "ix_query_log_status"
    if f.operation is not None:
        return "ix_query_log_operation"
    if f.campaign_id is not None:
        return "ix_query_log_campaign"
    return "ix_query_log_at"


def _log_query(
    log_filter: QueryLogFilter,
    columns: Callable[[ReadOnlyColumnCollection[str, Any]], tuple[Any, ...]],
) -> tuple[Select[Any], ReadOnlyColumnCollection[str, Any]]:
    """The filtered entries through the index ``_log_index`` chooses, and its columns."""
    f = log_filter
    through = _LOG_THROUGH[_log_index(f)]
    _q = through.c
    query = select(*columns(_q)).select_from(through)
    if f.order_id is not None:
        query = query.where(_q.order_id == f.order_id)
    if f.campaign_id is not None:
        query = query.where(_q.campaign_id == f.campaign_id)
    if f.operation is not None:
        query = query.where(_q.operation_id == f.operation)
    if f.status is not None:
        query = query.where(_q.status == f.status)
        if f.status != _LEFT_OUT_STATUS:
            query = query.where(_NOT_LEFT_OUT)
    if f.since is not None:
        query = query.where(_q.at >= f.since)
    if f.until is not None:
        query = query.where(_q.at < f.until)
    return query, _q


def log_page(
    conn: Transaction,
    log_filter: QueryLogFilter,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[QueryLogRow]:
    """Up to ``limit`` entries that pass the filter, newest first (time, then id); only those
    after ``after`` (a time and an id) in that order."""
    query, _q = _log_query(log_filter, _row_columns)
    if after is not None:
        query = query.where(*older_than(_q.at, _q.id, after))
    rows = conn.execute(query.order_by(_q.at.desc(), _q.id.desc()).limit(limit))
    return [_log_row(row) for row in rows]


def count_entries(conn: Transaction, log_filter: QueryLogFilter) -> int:
    """How many entries pass the filter (for an order's calls: one index range)."""
    query, _ = _log_query(log_filter, lambda _q: (func.count(),))
    return int(conn.execute(query).scalar_one())


def log_entry(conn: Transaction, entry_id: int) -> QueryLogEntryView | None:
    row = conn.execute(select(query_log).where(query_log.c.id == entry_id)).first()
    if row is None:
        return None
    return QueryLogEntryView(
        row=_log_row(row),
        request_headers=_headers(row.request_headers),
        request_body=row.request_body,
        request_truncated=bool(row.request_truncated),
        response_headers=_headers(row.response_headers),
        response_body=row.response_body,
        response_truncated=bool(row.response_truncated),
        fault_rule_id=row.fault_rule_id,
    )


def _headers(value: Any) -> dict[str, str]:
    headers = from_json(value) if isinstance(value, str | bytes) else value
    return {str(name): str(text) for name, text in (headers or {}).items()}


def _log_row(row: Any) -> QueryLogRow:
    return QueryLogRow(
        id=row.id,
        at=row.at,
        method=row.method,
        path=row.path,
        query=row.query,
        status=row.status,
        operation_id=row.operation_id,
        campaign_id=row.campaign_id,
        business_id=row.business_id,
        order_id=row.order_id,
        request_size=row.request_size,
        response_size=row.response_size,
        fault=row.fault,
    )
