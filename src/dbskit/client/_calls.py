"""Each Partner API operation as a ``Call``: method, path, query, body and answer model.

Both clients build their calls here, so the sync and the async client send the same bytes.
Paths come from the operation table (``contract/operations.py``), formatted once per call with
plain string operations; bodies are the contract's request models, serialised by pydantic-core.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel

from dbskit.contract.answers import EmptyApiResponse
from dbskit.contract.business_orders import (
    AcceptOrderCancellationRequest,
    GetBusinessOrdersRequest,
    GetBusinessOrdersResponse,
)
from dbskit.contract.delivery_services import GetDeliveryServicesResponse
from dbskit.contract.digital_goods import OrderDigitalItem, ProvideOrderDigitalCodesRequest
from dbskit.contract.enums import CancellationRejectReason, OrderStatus, OrderSubstatus
from dbskit.contract.identifiers import (
    BriefOrderItemInstance,
    GetOrderIdentifiersStatusResponse,
    OrderItemInstanceModification,
    ProvideOrderItemIdentifiersRequest,
    ProvideOrderItemIdentifiersResponse,
)
from dbskit.contract.operations import OPERATIONS_BY_ID
from dbskit.contract.orders import (
    GetOrderResponse,
    GetOrdersResponse,
    OrderStatusChangeDeliveryDatesDTO,
    OrderStatusChangeDeliveryDTO,
    OrderStatusChangeDTO,
    UpdateOrderStatusRequest,
    UpdateOrderStatusResponse,
)
from dbskit.contract.tracking import SetOrderDeliveryTrackCodeRequest

Answer = TypeVar("Answer", bound=BaseModel)
# getOrders' days (R-092, R-120: limits.GET_ORDERS_DATE_FORMAT) as strftime writes them.
_DAY_FIRST: Final = "%d-%m-%Y"
Query = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Call(Generic[Answer]):
    operation_id: str
    method: str
    path: str
    answer: type[Answer]
    query: Query = ()
    content: bytes | None = None


def _template(operation_id: str) -> str:
    """The documented path as a format string: ``/v2/campaigns/{campaignId}/...``."""
    return OPERATIONS_BY_ID[operation_id].documented_path


_PATHS: Final = {operation_id: _template(operation_id) for operation_id in OPERATIONS_BY_ID}
_METHODS: Final = {op.operation_id: op.method for op in OPERATIONS_BY_ID.values()}


def _body(model: BaseModel) -> bytes:
    return model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_none=True)


def _order_call(
    operation_id: str,
    answer: type[Answer],
    campaign_id: int,
    order_id: int,
    content: bytes | None = None,
) -> Call[Answer]:
    path = _PATHS[operation_id].format(campaignId=int(campaign_id), orderId=int(order_id))
    return Call(operation_id, _METHODS[operation_id], path, answer, (), content)


# --- the calls ----------------------------------------------------------------------------------


def provide_order_digital_codes(
    campaign_id: int, order_id: int, request: ProvideOrderDigitalCodesRequest
) -> Call[EmptyApiResponse]:
    return _order_call(
        "provideOrderDigitalCodes", EmptyApiResponse, campaign_id, order_id, _body(request)
    )


def set_order_delivery_track_code(
    campaign_id: int, order_id: int, request: SetOrderDeliveryTrackCodeRequest
) -> Call[EmptyApiResponse]:
    return _order_call(
        "setOrderDeliveryTrackCode", EmptyApiResponse, campaign_id, order_id, _body(request)
    )


def provide_order_item_identifiers(
    campaign_id: int, order_id: int, request: ProvideOrderItemIdentifiersRequest
) -> Call[ProvideOrderItemIdentifiersResponse]:
    return _order_call(
        "provideOrderItemIdentifiers",
        ProvideOrderItemIdentifiersResponse,
        campaign_id,
        order_id,
        _body(request),
    )


def get_order_identifiers_status(
    campaign_id: int, order_id: int
) -> Call[GetOrderIdentifiersStatusResponse]:
    return _order_call(
        "getOrderIdentifiersStatus", GetOrderIdentifiersStatusResponse, campaign_id, order_id
    )


def get_order(campaign_id: int, order_id: int) -> Call[GetOrderResponse]:
    return _order_call("getOrder", GetOrderResponse, campaign_id, order_id)


def get_orders(campaign_id: int, query: Query) -> Call[GetOrdersResponse]:
    path = _PATHS["getOrders"].format(campaignId=int(campaign_id))
    return Call("getOrders", "GET", path, GetOrdersResponse, query)


def update_order_status(
    campaign_id: int, order_id: int, request: UpdateOrderStatusRequest
) -> Call[UpdateOrderStatusResponse]:
    return _order_call(
        "updateOrderStatus", UpdateOrderStatusResponse, campaign_id, order_id, _body(request)
    )


def accept_order_cancellation(
    campaign_id: int, order_id: int, request: AcceptOrderCancellationRequest
) -> Call[EmptyApiResponse]:
    return _order_call(
        "acceptOrderCancellation", EmptyApiResponse, campaign_id, order_id, _body(request)
    )


def get_delivery_services() -> Call[GetDeliveryServicesResponse]:
    return Call(
        "getDeliveryServices", "GET", _PATHS["getDeliveryServices"], GetDeliveryServicesResponse
    )


def get_business_orders(
    business_id: int,
    request: GetBusinessOrdersRequest,
    *,
    page_token: str | None = None,
    limit: int | None = None,
) -> Call[GetBusinessOrdersResponse]:
    path = _PATHS["getBusinessOrders"].format(businessId=int(business_id))
    query: list[tuple[str, str]] = []
    if page_token is not None:
        query.append(("pageToken", page_token))
    if limit is not None:
        query.append(("limit", str(limit)))
    return Call(
        "getBusinessOrders", "POST", path, GetBusinessOrdersResponse, tuple(query), _body(request)
    )


# --- keyword shapes -> the contract's request models ------------------------------------------


def digital_codes_request(
    keys: Mapping[int, Sequence[str]], *, slip: str, activate_till: date
) -> ProvideOrderDigitalCodesRequest:
    """Keys per order item id, with the same instructions and activation date for each."""
    till = activate_till.isoformat()  # the model reads YYYY-MM-DD text only
    return ProvideOrderDigitalCodesRequest(
        items=[
            OrderDigitalItem.model_validate(
                {"id": item_id, "codes": list(codes), "slip": slip, "activate_till": till}
            )
            for item_id, codes in keys.items()
        ]
    )


def identifiers_request(
    cis: Mapping[int, Sequence[str]] | None = None,
    *,
    uin: Mapping[int, Sequence[str]] | None = None,
) -> ProvideOrderItemIdentifiersRequest:
    """Marking codes per order item id: «Честный ЗНАК» codes in ``cis``, UINs in ``uin``."""
    instances: dict[int, list[BriefOrderItemInstance]] = {}
    for item_id, codes in (cis or {}).items():
        instances.setdefault(item_id, []).extend(BriefOrderItemInstance(cis=c) for c in codes)
    for item_id, codes in (uin or {}).items():
        instances.setdefault(item_id, []).extend(BriefOrderItemInstance(uin=u) for u in codes)
    return ProvideOrderItemIdentifiersRequest(
        items=[
            OrderItemInstanceModification(id=item_id, instances=units)
            for item_id, units in instances.items()
        ]
    )


def status_request(
    status: OrderStatus | str,
    substatus: OrderSubstatus | str | None = None,
    *,
    real_delivery_date: date | None = None,
) -> UpdateOrderStatusRequest:
    delivery = None
    if real_delivery_date is not None:
        delivery = OrderStatusChangeDeliveryDTO(
            dates=OrderStatusChangeDeliveryDatesDTO(real_delivery_date=real_delivery_date)
        )
    change = OrderStatusChangeDTO.model_validate(
        {"status": str(status), "substatus": substatus, "delivery": delivery}
    )
    return UpdateOrderStatusRequest(order=change)


def cancellation_request(
    accepted: bool, reason: CancellationRejectReason | str | None = None
) -> AcceptOrderCancellationRequest:
    return AcceptOrderCancellationRequest.model_validate({"accepted": accepted, "reason": reason})


def orders_query(
    *,
    status: Iterable[OrderStatus | str] = (),
    substatus: Iterable[OrderSubstatus | str] = (),
    order_ids: Iterable[int] = (),
    from_date: date | None = None,
    to_date: date | None = None,
    updated_at_from: datetime | None = None,
    updated_at_to: datetime | None = None,
    fake: bool | None = None,
    has_cis: bool | None = None,
    only_waiting_for_cancellation_approve: bool | None = None,
    page_token: str | None = None,
    limit: int | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Query:
    """getOrders' query string (R-120): lists comma-separated, days as ``DD-MM-YYYY`` (R-092)."""
    pairs: list[tuple[str, str]] = []

    def put(name: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif isinstance(value, datetime):
            pairs.append((name, value.isoformat()))
        elif isinstance(value, date):
            pairs.append((name, value.strftime(_DAY_FIRST)))
        else:
            pairs.append((name, str(value)))

    for name, values in (("status", status), ("substatus", substatus), ("orderIds", order_ids)):
        listed = [str(value) for value in values]
        if listed:
            pairs.append((name, ",".join(listed)))
    put("fromDate", from_date)
    put("toDate", to_date)
    put("updatedAtFrom", updated_at_from)
    put("updatedAtTo", updated_at_to)
    put("fake", fake)
    put("hasCis", has_cis)
    put("onlyWaitingForCancellationApprove", only_waiting_for_cancellation_approve)
    put("page_token", page_token)
    put("limit", limit)
    put("page", page)
    put("pageSize", page_size)
    return tuple(pairs)
