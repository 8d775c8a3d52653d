"""R-025 in the status model: PUT status consults this before READY_TO_SHIP or DELIVERY."""

from __future__ import annotations

from dbskit.database.db import Transaction
from dbskit.market.domain.identifiers import check_marking_before_status, stored_codes
from dbskit.market.domain.order import Order
from dbskit.market.domain.status_model import Decision


def marking_precondition(conn: Transaction, order: Order, decision: Decision) -> None:
    """400 while a BUSINESS order has a CIS or UIN item with fewer codes than units."""
    status, substatus = decision.target
    del conn  # the order was loaded with its codes
    check_marking_before_status(order, stored_codes(order), status=status, substatus=substatus)
