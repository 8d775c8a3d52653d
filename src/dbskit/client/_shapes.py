"""The clients' keyword arguments -> a ``Call``: a whole request model, or its common shape.

Each function takes either ``request`` (the contract's model, as built by the caller) or the
keywords of the common case, never both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from dbskit.client import _calls as calls
from dbskit.contract.answers import EmptyApiResponse
from dbskit.contract.business_orders import (
    AcceptOrderCancellationRequest,
    GetBusinessOrdersRequest,
    GetBusinessOrdersResponse,
)
from dbskit.contract.digital_goods import ProvideOrderDigitalCodesRequest
from dbskit.contract.enums import CancellationRejectReason, OrderStatus, OrderSubstatus
from dbskit.contract.identifiers import (
    ProvideOrderItemIdentifiersRequest,
    ProvideOrderItemIdentifiersResponse,
)
from dbskit.contract.orders import UpdateOrderStatusRequest, UpdateOrderStatusResponse
from dbskit.contract.tracking import SetOrderDeliveryTrackCodeRequest

DEPRECATED_READ = (
    "{method} is deprecated by the Market (degrading from 2027-01-18, shut down on 2027-04-12, "
    "spec x-deprecation-config): use get_business_orders"
)


def _one_of(request: Any, shape: bool, what: str) -> None:
    if (request is not None) != shape:  # exactly one of the two
        return
    raise TypeError(f"give either request or {what}, not both and not neither")


def digital_codes(
    campaign_id: int,
    order_id: int,
    request: ProvideOrderDigitalCodesRequest | None,
    keys: Mapping[int, Sequence[str]] | None,
    slip: str | None,
    activate_till: date | None,
) -> calls.Call[EmptyApiResponse]:
    _one_of(request, keys is not None, "keys (with slip and activate_till)")
    if request is None:
        if keys is None or slip is None or activate_till is None:
            raise TypeError("keys need slip and activate_till")
        request = calls.digital_codes_request(keys, slip=slip, activate_till=activate_till)
    return calls.provide_order_digital_codes(campaign_id, order_id, request)


def track(
    campaign_id: int,
    order_id: int,
    request: SetOrderDeliveryTrackCodeRequest | None,
    track_code: str | None,
    delivery_service_id: int | None,
) -> calls.Call[EmptyApiResponse]:
    _one_of(request, track_code is not None, "track_code and delivery_service_id")
    if request is None:
        request = SetOrderDeliveryTrackCodeRequest.model_validate(
            {"trackCode": track_code, "deliveryServiceId": delivery_service_id}
        )
    return calls.set_order_delivery_track_code(campaign_id, order_id, request)


def identifiers(
    campaign_id: int,
    order_id: int,
    request: ProvideOrderItemIdentifiersRequest | None,
    cis: Mapping[int, Sequence[str]] | None,
    uin: Mapping[int, Sequence[str]] | None,
) -> calls.Call[ProvideOrderItemIdentifiersResponse]:
    _one_of(request, cis is not None or uin is not None, "cis / uin")
    if request is None:
        request = calls.identifiers_request(cis, uin=uin)
    return calls.provide_order_item_identifiers(campaign_id, order_id, request)


def status(
    campaign_id: int,
    order_id: int,
    request: UpdateOrderStatusRequest | None,
    status: OrderStatus | str | None,
    substatus: OrderSubstatus | str | None,
    real_delivery_date: date | None,
) -> calls.Call[UpdateOrderStatusResponse]:
    _one_of(request, status is not None, "status")
    if request is None:
        assert status is not None
        request = calls.status_request(status, substatus, real_delivery_date=real_delivery_date)
    return calls.update_order_status(campaign_id, order_id, request)


def cancellation(
    campaign_id: int,
    order_id: int,
    request: AcceptOrderCancellationRequest | None,
    accepted: bool | None,
    reason: CancellationRejectReason | str | None,
) -> calls.Call[EmptyApiResponse]:
    _one_of(request, accepted is not None, "accepted")
    if request is None:
        assert accepted is not None
        request = calls.cancellation_request(accepted, reason)
    return calls.accept_order_cancellation(campaign_id, order_id, request)


def business_orders_request(
    request: GetBusinessOrdersRequest | None, filters: Mapping[str, Any]
) -> GetBusinessOrdersRequest:
    """The request, or one made of filters named as the model's fields (``order_ids``,
    ``campaign_ids``, ``statuses``, ``fake``, ...); ``None`` filters are left out."""
    given = {name: value for name, value in filters.items() if value is not None}
    if request is not None:
        if given:
            raise TypeError("give either request or filters, not both")
        return request
    return GetBusinessOrdersRequest.model_validate(
        {name: list(v) if _is_list(v) else v for name, v in given.items()}
    )


def _is_list(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes)


def business_orders(
    business_id: int,
    request: GetBusinessOrdersRequest,
    page_token: str | None,
    limit: int | None,
) -> calls.Call[GetBusinessOrdersResponse]:
    return calls.get_business_orders(business_id, request, page_token=page_token, limit=limit)
