"""What ``POST /sandbox/reset`` deletes, table by table, in set-based statements.

Every table of ``tables.metadata`` is either cleared (``CLEARED``, children before parents) or
kept (``KEPT``, each with its reason); a test fails when a table is in neither. A campaign's
reset deletes the rows that hang off the campaign's orders and outbox messages by subquery, never
row by row.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Delete,
    Table,
    bindparam,
    cast,
    delete,
    or_,
    select,
)

from dbskit.database.db import Transaction
from dbskit.market.storage.tables import (
    digital_deliveries,
    fault_rules,
    order_items,
    order_status_history,
    order_tracks,
    order_warnings,
    orders,
    outbox_attempts,
    outbox_messages,
    query_log,
    scheduled_events,
)

# Deleted by a reset, in this order: rows that refer to others go first.
CLEARED: Final[tuple[Table, ...]] = (
    scheduled_events,  # payloads name orders and outbox messages
    order_warnings,
    order_status_history,
    digital_deliveries,
    order_tracks,
    order_items,
    outbox_attempts,
    outbox_messages,
    orders,
    fault_rules,
    query_log,  # on SQLite in a database of its own (``Runtime.log_db``)
)

# Kept by a reset, and why.
KEPT: Final[dict[str, str]] = {
    "businesses": "the seller's cabinets: starting over must not need new ids",
    "campaigns": "the seller's stores and their settings (push and notification URLs)",
    "api_tokens": "the keys a seller's code is configured with: a reset issues none",
    "demo_access": "the demo campaign and key, printed at first start",
    "sandbox_clock": "one row, set back to real time by a full reset (``reset_clock``)",
}

_CAMPAIGN: BindParameter[int] = bindparam("campaign_id")
_ORDERS_OF_CAMPAIGN = select(orders.c.id).where(orders.c.campaign_id == _CAMPAIGN)
_MESSAGES_OF_CAMPAIGN = select(outbox_messages.c.id).where(
    outbox_messages.c.campaign_id == _CAMPAIGN
)


def _payload_id(name: str) -> ColumnElement[int]:
    """An id in a scheduled event's payload, as a BIGINT on both databases (NULL when absent)."""
    return cast(scheduled_events.c.payload[name].as_string(), BigInteger)


# Per campaign: each table's rows of the campaign, by the same keys.
_OF_CAMPAIGN: Final[dict[str, Delete]] = {
    scheduled_events.name: delete(scheduled_events).where(
        or_(
            _payload_id("orderId").in_(_ORDERS_OF_CAMPAIGN),
            _payload_id("campaignId") == _CAMPAIGN,
            _payload_id("messageId").in_(_MESSAGES_OF_CAMPAIGN),
        )
    ),
    order_warnings.name: delete(order_warnings).where(
        order_warnings.c.order_id.in_(_ORDERS_OF_CAMPAIGN)
    ),
    order_status_history.name: delete(order_status_history).where(
        order_status_history.c.order_id.in_(_ORDERS_OF_CAMPAIGN)
    ),
    digital_deliveries.name: delete(digital_deliveries).where(
        digital_deliveries.c.order_id.in_(_ORDERS_OF_CAMPAIGN)
    ),
    order_tracks.name: delete(order_tracks).where(order_tracks.c.order_id.in_(_ORDERS_OF_CAMPAIGN)),
    order_items.name: delete(order_items).where(order_items.c.order_id.in_(_ORDERS_OF_CAMPAIGN)),
    outbox_attempts.name: delete(outbox_attempts).where(
        outbox_attempts.c.message_id.in_(_MESSAGES_OF_CAMPAIGN)
    ),
    outbox_messages.name: delete(outbox_messages).where(outbox_messages.c.campaign_id == _CAMPAIGN),
    orders.name: delete(orders).where(orders.c.campaign_id == _CAMPAIGN),
    fault_rules.name: delete(fault_rules).where(fault_rules.c.campaign_id == _CAMPAIGN),
    query_log.name: delete(query_log).where(query_log.c.campaign_id == _CAMPAIGN),
}
_EVERYTHING: Final[dict[str, Delete]] = {table.name: delete(table) for table in CLEARED}


def clear(conn: Transaction, *, campaign_id: int | None, with_query_log: bool) -> dict[str, int]:
    """Delete every cleared table's rows, or the campaign's; the query log's too when it lives
    in this database. Returns the rows deleted per table."""
    statements = _EVERYTHING if campaign_id is None else _OF_CAMPAIGN
    params = {} if campaign_id is None else {"campaign_id": campaign_id}
    deleted: dict[str, int] = {}
    for table in CLEARED:
        if table is query_log and not with_query_log:
            continue
        deleted[table.name] = int(conn.execute(statements[table.name], params).rowcount)
    return deleted


def clear_query_log(conn: Transaction, *, campaign_id: int | None) -> int:
    """Delete the query log, or the campaign's entries (the log's own database)."""
    if campaign_id is None:
        return int(conn.execute(_EVERYTHING[query_log.name]).rowcount)
    statement = _OF_CAMPAIGN[query_log.name]
    return int(conn.execute(statement, {"campaign_id": campaign_id}).rowcount)
