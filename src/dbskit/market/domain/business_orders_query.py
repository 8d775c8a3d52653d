"""getBusinessOrders' filters and paging, decided without I/O (spec GetBusinessOrdersRequest,
OrderDatesFilterDTO; docs/decisions.md, "getBusinessOrders (OQ-27)").

The body's filters combine (every one given must hold); the query string carries the page:
``pageToken`` (or ``page_token``) and ``limit``, which is cut to 50 in either profile (the spec's
``truncateLimit``). The dates follow getOrders' rules: at most 30 days, a missing end 30 days from
the start, a creation period without an end open up to now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Final

from pydantic import Field, ValidationError

from dbskit.contract import limits
from dbskit.contract._base import ContractModel
from dbskit.contract.business_orders import GetBusinessOrdersRequest
from dbskit.contract.enums import SellingProgram, SourcePlatform
from dbskit.contract.validation import bad_request_from
from dbskit.market.domain.orders_query import (
    Cursor,
    OrdersQuery,
    PageLimit,
    Period,
    TokenPaging,
    check_span,
    day_range,
    market_midnight,
    moment_range,
)

_TOKEN_ALIASES: Final = ("pageToken", "page_token")  # spec AliasedPageToken x-aliases
# Every order here is a DBS order placed on the Market.
OWN_PROGRAM: Final = SellingProgram.DBS
OWN_PLATFORM: Final = SourcePlatform.MARKET


class BusinessOrdersPageParams(ContractModel):
    page_token: str | None = Field(None, alias="pageToken")
    limit: PageLimit | None = None


@dataclass(frozen=True, slots=True)
class BusinessOrdersQuery:
    campaign_ids: tuple[int, ...] | None  # None: every campaign of the business
    orders: OrdersQuery
    # programTypes without DBS or sourcePlatforms without MARKET: no order here can match.
    matches_nothing: bool

    @property
    def paging(self) -> TokenPaging:
        paging = self.orders.paging
        assert isinstance(paging, TokenPaging)
        return paging


def page_params_from(pairs: Iterable[tuple[str, str]]) -> BusinessOrdersPageParams:
    """The query string's ``pageToken``/``page_token`` and ``limit``; other names are ignored."""
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in _TOKEN_ALIASES:
            values.setdefault("pageToken", value)
        elif key == "limit":
            values.setdefault("limit", value)
    try:
        return BusinessOrdersPageParams.model_validate(values)
    except ValidationError as exc:
        raise bad_request_from(exc) from None


def _created(
    start: date | None, end: date | None, *, today: date, tz: tzinfo, default: bool
) -> Period | None:
    """creationDateFrom/To: the last 30 days when neither is given and ``default`` holds."""
    if end is not None:
        days = day_range(start, end)
        assert days is not None
        return Period(market_midnight(days[0], tz), market_midnight(days[1], tz))
    if start is None:
        if not default:
            return None
        start = today - limits.GET_ORDERS_PERIOD_MAX
    check_span(today - start)
    return Period(market_midnight(start, tz), None)


def business_orders_query(
    request: GetBusinessOrdersRequest,
    page: BusinessOrdersPageParams,
    *,
    now: datetime,
    tz: tzinfo = limits.MARKET_TIMEZONE,
) -> BusinessOrdersQuery:
    dates = request.dates
    by_id = request.order_ids is not None or request.external_order_ids is not None
    today = now.astimezone(tz).date()
    created = _created(
        dates.creation_date_from if dates else None,
        dates.creation_date_to if dates else None,
        today=today,
        tz=tz,
        default=not by_id,  # an order looked up by its id is found whatever its age
    )
    shipment = day_range(dates.shipment_date_from, dates.shipment_date_to) if dates else None
    updated = moment_range(dates.update_date_from, dates.update_date_to) if dates else None
    limit = min(page.limit or limits.GET_ORDERS_PAGE_LIMIT_MAX, limits.GET_ORDERS_PAGE_LIMIT_MAX)
    after = Cursor.parse(page.page_token) if page.page_token else None
    orders = OrdersQuery(
        order_ids=tuple(request.order_ids) if request.order_ids is not None else None,
        external_order_ids=(
            tuple(request.external_order_ids) if request.external_order_ids is not None else None
        ),
        statuses=frozenset(request.statuses or ()),
        substatuses=frozenset(request.substatuses or ()),
        created=created,
        shipment=shipment,
        updated=updated,
        dispatch_type=None,
        fake=bool(request.fake),  # test orders only when asked for
        has_cis=False,
        only_waiting_for_cancellation_approve=bool(request.waiting_for_cancellation_approve),
        only_estimated_delivery=False,
        buyer_type=None,
        closed_before=None,
        paging=TokenPaging(limit, after),
    )
    matches_nothing = (
        request.program_types is not None and OWN_PROGRAM not in request.program_types
    ) or (request.source_platforms is not None and OWN_PLATFORM not in request.source_platforms)
    return BusinessOrdersQuery(
        campaign_ids=tuple(request.campaign_ids) if request.campaign_ids is not None else None,
        orders=orders,
        matches_nothing=matches_nothing,
    )
