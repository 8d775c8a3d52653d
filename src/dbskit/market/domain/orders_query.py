"""getOrders parameters (R-120): filters, periods and the two paging styles, decided without I/O.

Query values are checked by a pydantic model, so violations read like every other 400; integers
and dates go through the one parser of ``contract/parameters.py`` (``DD-MM-YYYY`` by hand, R-092:
the spec calls them ``format: date``). Every parameter is checked whatever else is given: with
``orderIds`` the other filters are ignored, not left unread.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Final

from pydantic import Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from dbskit.contract import limits
from dbskit.contract._base import ID_MIN, INT32_MAX, INT64_MAX, INT64_MIN, ContractModel
from dbskit.contract.enums import BuyerType, DispatchType, OrderStatus, OrderSubstatus
from dbskit.contract.errors import BadRequest, Messages
from dbskit.contract.operations import Profile
from dbskit.contract.parameters import (
    MOMENT_MAX,
    MOMENT_MIN,
    DayParameter,
    IdParameter,
    MomentParameter,
    integer_validator,
    parse_integer,
    shift_day,
    shift_moment,
)
from dbskit.contract.validation import bad_request_from, check_unique

_LIST_FIELDS: Final = frozenset({"orderIds", "status", "substatus"})
_TOKEN_ALIASES: Final = ("page_token", "pageToken")  # spec x-aliases

PageNumber = Annotated[int, integer_validator(1, limits.GET_ORDERS_PAGE_MAX)]
PageSize = Annotated[int, integer_validator(1, limits.GET_ORDERS_PAGE_LIMIT_MAX)]
PageLimit = Annotated[int, integer_validator(1, INT32_MAX)]  # spec: int32, minimum 1


class GetOrdersParams(ContractModel):
    order_ids: list[IdParameter] | None = Field(
        None, alias="orderIds", min_length=1, max_length=limits.GET_ORDERS_ORDER_IDS_MAX
    )
    status: list[OrderStatus] = Field(default_factory=list)
    substatus: list[OrderSubstatus] = Field(default_factory=list)
    from_date: DayParameter | None = Field(None, alias="fromDate")
    to_date: DayParameter | None = Field(None, alias="toDate")
    shipment_from: DayParameter | None = Field(None, alias="supplierShipmentDateFrom")
    shipment_to: DayParameter | None = Field(None, alias="supplierShipmentDateTo")
    updated_from: MomentParameter | None = Field(None, alias="updatedAtFrom")
    updated_to: MomentParameter | None = Field(None, alias="updatedAtTo")
    dispatch_type: DispatchType | None = Field(None, alias="dispatchType")
    fake: bool = False
    has_cis: bool = Field(False, alias="hasCis")
    only_waiting_for_cancellation_approve: bool = Field(
        False, alias="onlyWaitingForCancellationApprove"
    )
    only_estimated_delivery: bool = Field(False, alias="onlyEstimatedDelivery")
    buyer_type: BuyerType | None = Field(None, alias="buyerType")
    page: PageNumber = 1
    page_size: PageSize = Field(limits.GET_ORDERS_PAGE_LIMIT_MAX, alias="pageSize")
    page_token: str | None = None
    limit: PageLimit | None = None

    @field_validator("status")
    @classmethod
    def _unique_statuses(cls, value: list[OrderStatus]) -> list[OrderStatus]:
        check_unique("status", value)
        return value

    @field_validator("substatus")
    @classmethod
    def _unique_substatuses(cls, value: list[OrderSubstatus]) -> list[OrderSubstatus]:
        check_unique("substatus", value)
        return value


@dataclass(frozen=True, slots=True)
class Period:
    """``start`` inclusive, ``end`` exclusive (R-120)."""

    start: datetime
    end: datetime | None


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
# A cursor's creation time is microseconds since the epoch; a time outside these holds no order.
_MICROS_MIN: Final = max((MOMENT_MIN - _EPOCH) // _MICROSECOND, INT64_MIN)
_MICROS_MAX: Final = min((MOMENT_MAX - _EPOCH) // _MICROSECOND, INT64_MAX)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: orders go newest first, by (creation time, id)."""

    created_micros: int
    order_id: int

    def token(self) -> str:
        raw = f"{self.created_micros}:{self.order_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> Cursor:
        """A token of ``token()``; anything else (numbers beyond a stored time or id too) is 400."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            created, order_id = raw.split(":")
            return cls(
                parse_integer(created, ge=_MICROS_MIN, le=_MICROS_MAX),
                parse_integer(order_id, ge=ID_MIN, le=INT64_MAX),
            )
        except (ValueError, binascii.Error, UnicodeDecodeError, PydanticCustomError):
            raise BadRequest(Messages.BAD_PAGE_TOKEN.format(value=token)) from None


@dataclass(frozen=True, slots=True)
class TokenPaging:
    limit: int
    after: Cursor | None


@dataclass(frozen=True, slots=True)
class PagePaging:
    page: int
    page_size: int


@dataclass(frozen=True, slots=True)
class OrdersQuery:
    order_ids: tuple[int, ...] | None
    statuses: frozenset[OrderStatus]
    substatuses: frozenset[OrderSubstatus]
    created: Period | None
    shipment: tuple[date, date] | None
    updated: Period | None
    dispatch_type: DispatchType | None
    fake: bool
    has_cis: bool
    only_waiting_for_cancellation_approve: bool
    only_estimated_delivery: bool
    buyer_type: BuyerType | None
    # Delivered or cancelled before this moment: not returned (R-120; None: no such limit).
    closed_before: datetime | None
    paging: TokenPaging | PagePaging
    external_order_ids: tuple[str, ...] | None = None


def params_from(pairs: Iterable[tuple[str, str]]) -> GetOrdersParams:
    """Collect the query string (lists as repeated keys or comma-separated) and validate it."""
    values: dict[str, object] = {}
    for key, value in pairs:
        if key in _TOKEN_ALIASES:
            values.setdefault("page_token", value)
        elif key in _LIST_FIELDS:
            listed = values.setdefault(key, [])
            assert isinstance(listed, list)
            listed.extend(value.split(","))  # an empty element is a bad value, not none
        else:
            values.setdefault(key, value)
    try:
        return GetOrdersParams.model_validate(values)
    except ValidationError as exc:
        raise bad_request_from(exc) from None


def check_span(span: timedelta) -> None:
    if span > limits.GET_ORDERS_PERIOD_MAX:
        raise BadRequest(Messages.TOO_LONG_PERIOD.format(days=limits.GET_ORDERS_PERIOD_MAX.days))


def day_range(start: date | None, end: date | None) -> tuple[date, date] | None:
    """A ``DD-MM-YYYY`` range: a missing end is 30 days from the other; under a day -> one day.
    A computed end stops at the first or last day there is (``shift_day``)."""
    if start is None and end is None:
        return None
    if start is None:
        assert end is not None
        start = shift_day(end, -limits.GET_ORDERS_PERIOD_MAX)
    if end is None:
        end = shift_day(start, limits.GET_ORDERS_PERIOD_MAX)
    if end - start < timedelta(days=1):
        end = shift_day(start, timedelta(days=1))
    check_span(end - start)
    return start, end


def market_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _created(params: GetOrdersParams, today: date, tz: tzinfo) -> Period:
    """fromDate/toDate (R-120). Without toDate the period stays open up to now (our reading)."""
    if params.to_date is not None:
        days = day_range(params.from_date, params.to_date)
        assert days is not None
        return Period(market_midnight(days[0], tz), market_midnight(days[1], tz))
    start_day = (
        params.from_date if params.from_date is not None else today - limits.GET_ORDERS_PERIOD_MAX
    )
    check_span(today - start_day)
    return Period(market_midnight(start_day, tz), None)


def _updated(params: GetOrdersParams) -> Period | None:
    """updatedAtFrom/updatedAtTo (R-120)."""
    return moment_range(params.updated_from, params.updated_to)


def moment_range(start: datetime | None, end: datetime | None) -> Period | None:
    """A date-time range: a missing end is 30 days from the other, and a computed end stops at
    the ends of time (``shift_moment``)."""
    if start is None and end is None:
        return None
    if start is None:
        assert end is not None
        start = shift_moment(end, -limits.GET_ORDERS_PERIOD_MAX)
    if end is None:
        end = shift_moment(start, limits.GET_ORDERS_PERIOD_MAX)
    check_span(end - start)
    return Period(start, end)


def _paging(params: GetOrdersParams, profile: Profile) -> TokenPaging | PagePaging:
    """page_token/limit win; page/pageSize are the legacy style (R-120, C-21)."""
    if params.page_token is None and params.limit is None:
        return PagePaging(params.page, params.page_size)
    limit = params.limit or limits.GET_ORDERS_PAGE_LIMIT_MAX
    if limit > limits.GET_ORDERS_PAGE_LIMIT_MAX:
        if profile is not Profile.SPEC_2026:
            raise BadRequest(Messages.LIMIT_EXCEEDED)
        limit = limits.GET_ORDERS_PAGE_LIMIT_MAX  # spec: x-transform truncateLimit
    after = Cursor.parse(params.page_token) if params.page_token else None
    return TokenPaging(limit, after)


def orders_query(
    params: GetOrdersParams,
    *,
    now: datetime,
    profile: Profile,
    tz: tzinfo = limits.MARKET_TIMEZONE,
) -> OrdersQuery:
    # Every filter is read (and may be refused) before orderIds sets the others aside.
    paging = _paging(params, profile)
    closed_before = now - limits.CLOSED_ORDERS_VISIBLE_FOR
    today = now.astimezone(tz).date()
    created = _created(params, today, tz)
    shipment = day_range(params.shipment_from, params.shipment_to)
    updated = _updated(params)
    if params.order_ids is not None:
        # orderIds is not combined with other filters; only fake still applies.
        return OrdersQuery(
            order_ids=tuple(params.order_ids),
            statuses=frozenset(),
            substatuses=frozenset(),
            created=None,
            shipment=None,
            updated=None,
            dispatch_type=None,
            fake=params.fake,
            has_cis=False,
            only_waiting_for_cancellation_approve=False,
            only_estimated_delivery=False,
            buyer_type=None,
            closed_before=None,
            paging=paging,
        )
    return OrdersQuery(
        order_ids=None,
        statuses=frozenset(params.status),
        substatuses=frozenset(params.substatus),
        created=created,
        shipment=shipment,
        updated=updated,
        dispatch_type=params.dispatch_type,
        fake=params.fake,
        has_cis=params.has_cis,
        only_waiting_for_cancellation_approve=params.only_waiting_for_cancellation_approve,
        only_estimated_delivery=params.only_estimated_delivery,
        buyer_type=params.buyer_type,
        closed_before=closed_before,
        paging=paging,
    )
