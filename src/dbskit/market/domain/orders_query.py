"""getOrders parameters (R-120): filters, periods and the two paging styles, decided without I/O.

Query values are checked by a pydantic model (so violations read like every other 400), except
the ``DD-MM-YYYY`` dates, which are parsed by hand (R-092: the spec calls them ``format: date``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

from pydantic import Field, ValidationError

from dbskit.contract import limits
from dbskit.contract._base import ContractModel, Int64
from dbskit.contract.enums import BuyerType, DispatchType, OrderStatus, OrderSubstatus
from dbskit.contract.errors import BadRequest, Messages
from dbskit.contract.operations import Profile
from dbskit.contract.validation import bad_request_from

_DATE: Final = re.compile(r"^(\d{2})-(\d{2})-(\d{4})$")
_LIST_FIELDS: Final = frozenset({"orderIds", "status", "substatus"})
_TOKEN_ALIASES: Final = ("page_token", "pageToken")  # spec x-aliases


class GetOrdersParams(ContractModel):
    order_ids: list[Int64] | None = Field(
        None, alias="orderIds", min_length=1, max_length=limits.GET_ORDERS_ORDER_IDS_MAX
    )
    status: list[OrderStatus] = Field(default_factory=list)
    substatus: list[OrderSubstatus] = Field(default_factory=list)
    from_date: str | None = Field(None, alias="fromDate")
    to_date: str | None = Field(None, alias="toDate")
    shipment_from: str | None = Field(None, alias="supplierShipmentDateFrom")
    shipment_to: str | None = Field(None, alias="supplierShipmentDateTo")
    updated_from: str | None = Field(None, alias="updatedAtFrom")
    updated_to: str | None = Field(None, alias="updatedAtTo")
    dispatch_type: DispatchType | None = Field(None, alias="dispatchType")
    fake: bool = False
    has_cis: bool = Field(False, alias="hasCis")
    only_waiting_for_cancellation_approve: bool = Field(
        False, alias="onlyWaitingForCancellationApprove"
    )
    only_estimated_delivery: bool = Field(False, alias="onlyEstimatedDelivery")
    buyer_type: BuyerType | None = Field(None, alias="buyerType")
    page: int = Field(1, ge=1, le=limits.GET_ORDERS_PAGE_MAX)
    page_size: int = Field(
        limits.GET_ORDERS_PAGE_LIMIT_MAX,
        alias="pageSize",
        ge=1,
        le=limits.GET_ORDERS_PAGE_LIMIT_MAX,
    )
    page_token: str | None = None
    limit: int | None = Field(None, ge=1, le=2**31 - 1)


@dataclass(frozen=True, slots=True)
class Period:
    """``start`` inclusive, ``end`` exclusive (R-120)."""

    start: datetime
    end: datetime | None


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
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            created, order_id = raw.split(":")
            return cls(int(created), int(order_id))
        except (ValueError, binascii.Error, UnicodeDecodeError):
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
    closed_before: datetime  # delivered or cancelled before this moment: not returned
    paging: TokenPaging | PagePaging


def params_from(pairs: Iterable[tuple[str, str]]) -> GetOrdersParams:
    """Collect the query string (lists as repeated keys or comma-separated) and validate it."""
    values: dict[str, object] = {}
    for key, value in pairs:
        if key in _TOKEN_ALIASES:
            values.setdefault("page_token", value)
        elif key in _LIST_FIELDS:
            listed = values.setdefault(key, [])
            assert isinstance(listed, list)
            listed.extend(part for part in value.split(",") if part)
        else:
            values.setdefault(key, value)
    try:
        return GetOrdersParams.model_validate(values)
    except ValidationError as exc:
        raise bad_request_from(exc) from None


def parse_day(field: str, value: str) -> date:
    """``DD-MM-YYYY`` (R-092)."""
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    except ValueError:
        raise BadRequest(
            Messages.BAD_DATE.format(
                field=field, pattern=limits.GET_ORDERS_DATE_FORMAT, value=value
            )
        ) from None


def parse_moment(field: str, value: str) -> datetime:
    """ISO 8601 with an offset; a ``+`` that arrived unescaped (as a space) is put back."""
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadRequest(Messages.BAD_DATE_TIME.format(field=field, value=value))
    return moment


def _check_span(span: timedelta) -> None:
    if span > limits.GET_ORDERS_PERIOD_MAX:
        raise BadRequest(Messages.TOO_LONG_PERIOD.format(days=limits.GET_ORDERS_PERIOD_MAX.days))


def _day_range(
    from_field: str, from_value: str | None, to_field: str, to_value: str | None
) -> tuple[date, date] | None:
    """A ``DD-MM-YYYY`` range: a missing end is 30 days from the other; under a day -> one day."""
    if from_value is None and to_value is None:
        return None
    start = parse_day(from_field, from_value) if from_value is not None else None
    end = parse_day(to_field, to_value) if to_value is not None else None
    if start is None:
        assert end is not None
        start = end - limits.GET_ORDERS_PERIOD_MAX
    if end is None:
        end = start + limits.GET_ORDERS_PERIOD_MAX
    if end - start < timedelta(days=1):
        end = start + timedelta(days=1)
    _check_span(end - start)
    return start, end


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _created(params: GetOrdersParams, today: date, tz: tzinfo) -> Period:
    """fromDate/toDate (R-120). Without toDate the period stays open up to now (our reading)."""
    if params.to_date is not None:
        days = _day_range("fromDate", params.from_date, "toDate", params.to_date)
        assert days is not None
        return Period(_midnight(days[0], tz), _midnight(days[1], tz))
    start_day = (
        parse_day("fromDate", params.from_date)
        if params.from_date is not None
        else today - limits.GET_ORDERS_PERIOD_MAX
    )
    _check_span(today - start_day)
    return Period(_midnight(start_day, tz), None)


def _updated(params: GetOrdersParams) -> Period | None:
    if params.updated_from is None and params.updated_to is None:
        return None
    start = parse_moment("updatedAtFrom", params.updated_from) if params.updated_from else None
    end = parse_moment("updatedAtTo", params.updated_to) if params.updated_to else None
    if start is None:
        assert end is not None
        start = end - limits.GET_ORDERS_PERIOD_MAX
    if end is None:
        end = start + limits.GET_ORDERS_PERIOD_MAX
    _check_span(end - start)
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
    paging = _paging(params, profile)
    closed_before = now - limits.CLOSED_ORDERS_VISIBLE_FOR
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
            closed_before=closed_before,
            paging=paging,
        )
    today = now.astimezone(tz).date()
    return OrdersQuery(
        order_ids=None,
        statuses=frozenset(params.status),
        substatuses=frozenset(params.substatus),
        created=_created(params, today, tz),
        shipment=_day_range(
            "supplierShipmentDateFrom",
            params.shipment_from,
            "supplierShipmentDateTo",
            params.shipment_to,
        ),
        updated=_updated(params),
        dispatch_type=params.dispatch_type,
        fake=params.fake,
        has_cis=params.has_cis,
        only_waiting_for_cancellation_approve=params.only_waiting_for_cancellation_approve,
        only_estimated_delivery=params.only_estimated_delivery,
        buyer_type=params.buyer_type,
        closed_before=closed_before,
        paging=paging,
    )
