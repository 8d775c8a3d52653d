"""getBusinessOrders: the orders of a business's campaigns, a page at a time (docs/decisions.md,
"getBusinessOrders (OQ-27)")."""

from __future__ import annotations

from dbskit.contract.errors import Forbidden, Messages
from dbskit.contract.orders import ForwardScrollingPagerDTO
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.business_orders_query import BusinessOrdersQuery
from dbskit.market.services.order_documents import Render, Shelf
from dbskit.market.services.orders import OrdersPage, token_page
from dbskit.market.storage.access import campaign_ids_of_business


def _campaigns(conn: Transaction, business_id: int, query: BusinessOrdersQuery) -> list[int]:
    """The business's campaigns, or those the request names: each must be the business's (OQ-27:
    403 naming the first that is not, whether it is another's or nobody's)."""
    own = campaign_ids_of_business(conn, business_id)
    if query.campaign_ids is None:
        return own
    owned = set(own)
    for index, campaign_id in enumerate(query.campaign_ids):
        if campaign_id not in owned:
            raise Forbidden(
                Messages.CAMPAIGN_NOT_OF_BUSINESS.format(
                    field=f"campaignIds[{index}]", campaign_id=campaign_id, business_id=business_id
                )
            )
    return list(query.campaign_ids)


async def get_business_orders(
    db: Database, shelf: Shelf, *, business_id: int, query: BusinessOrdersQuery, render: Render
) -> OrdersPage:
    """Newest first across the campaigns, by (creation time, id) like getOrders' token pages."""

    def work(conn: Transaction) -> OrdersPage:
        campaigns = _campaigns(conn, business_id, query)
        if query.matches_nothing or not campaigns:
            return OrdersPage([], None, ForwardScrollingPagerDTO())
        return token_page(conn, campaigns, query.orders, query.paging, render=render, shelf=shelf)

    return await db.run_read(work)
