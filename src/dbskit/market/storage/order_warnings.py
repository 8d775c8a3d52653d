"""Warnings about accepted calls on an order, in the caller's transaction (R-074, C-03, C-04)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from dbskit.contract.call_warnings import CallWarning, WarningCode
from dbskit.database.db import Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import to_micros
from dbskit.market.storage.tables import order_warnings

# On the driver's cursor (driver_statements.py): every accepted call with a warning writes here.
_INSERT = DriverStatement(insert(order_warnings))


@dataclass(frozen=True, slots=True)
class StoredWarning:
    at: datetime
    operation_id: str
    warning: CallWarning


def record_warnings(
    conn: Transaction,
    *,
    order_id: int,
    operation_id: str,
    warnings: Sequence[CallWarning],
    now: datetime,
) -> None:
    if not warnings:
        return
    rows = [
        {
            "order_id": order_id,
            "at": to_micros(now),
            "operation_id": operation_id,
            "code": warning.code.value,
            "message": warning.message,
        }
        for warning in warnings
    ]
    _INSERT.run_many(conn, rows)


def warnings_of_order(conn: Transaction, order_id: int) -> list[StoredWarning]:
    """Oldest first, in the order each call raised them."""
    rows = conn.execute(
        select(order_warnings)
        .where(order_warnings.c.order_id == order_id)
        .order_by(order_warnings.c.id)
    )
    return [
        StoredWarning(row.at, row.operation_id, CallWarning(WarningCode(row.code), row.message))
        for row in rows
    ]
