"""PUT identifiers and POST identifiers/status: one transaction each on the order.

R-028..R-035, OQ-07, OQ-08 (only in PROCESSING; the listed items' codes are replaced), R-121 and
OQ-12 (DBS codes are not verified: ``NOT_ON_VALIDATION``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from dbskit.contract.call_warnings import CallWarning
from dbskit.contract.identifiers import (
    GetOrderIdentifiersStatusResponse,
    ProvideOrderItemIdentifiersRequest,
    ProvideOrderItemIdentifiersResponse,
)
from dbskit.database.db import Database, Transaction
from dbskit.market.domain import identifiers
from dbskit.market.services.orders import OrderNotFound, require_order
from dbskit.market.storage.marking_codes import (
    kept_codes,
    lock_order_for_codes,
    replace_codes,
)
from dbskit.market.storage.order_warnings import record_warnings

OPERATION_ID: Final = "provideOrderItemIdentifiers"


async def provide_order_item_identifiers(
    db: Database,
    *,
    campaign_id: int,
    order_id: int,
    request: ProvideOrderItemIdentifiersRequest,
    switches: identifiers.MarkingSwitches,
    now: datetime,
    call_warnings: Sequence[CallWarning] = (),
) -> ProvideOrderItemIdentifiersResponse:
    """The codes, and the call's warnings for the sandbox order view, in one transaction; the
    answer."""

    def work(conn: Transaction) -> ProvideOrderItemIdentifiersResponse:
        order = lock_order_for_codes(conn, campaign_id=campaign_id, order_id=order_id)
        if order is None:
            raise OrderNotFound(order_id)
        # Only the items the call does not list keep their codes (OQ-08), so only their codes
        # can repeat a new one (OQ-07).
        stored = kept_codes(order, listed={element.id for element in request.items})
        replaced = identifiers.provide_order_item_identifiers(
            order, request, stored=stored, switches=switches
        )
        replace_codes(conn, order_id=order_id, codes=replaced, now=now)
        record_warnings(
            conn, order_id=order_id, operation_id=OPERATION_ID, warnings=call_warnings, now=now
        )
        # An accepted call lists each of its items once, and those items now hold exactly the
        # codes it sent: the answer's codes are the replaced ones (R-034, OQ-08).
        return identifiers.identifiers_answer(
            order, replaced, [element.id for element in request.items]
        )

    return await db.run_write(work, short=True)


async def get_order_identifiers_status(
    db: Database, *, campaign_id: int, order_id: int
) -> GetOrderIdentifiersStatusResponse:
    def work(conn: Transaction) -> GetOrderIdentifiersStatusResponse:
        order = require_order(conn, campaign_id=campaign_id, order_id=order_id)
        return identifiers.identifiers_status(order, identifiers.stored_codes(order))

    return await db.run_read(work, short=True)
