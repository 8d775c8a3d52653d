"""Answers with enum values the client does not know parse; request models stay strict."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from dbskit.client import MarketClient, UnexpectedAnswerError, is_known
from dbskit.client._lax import parse_answer
from dbskit.contract.business_orders import GetBusinessOrdersRequest
from dbskit.contract.enums import InstanceType, OrderStatus, OrderSubstatus
from dbskit.contract.orders import GetOrderResponse, OrderDTO, UpdateOrderStatusRequest
from tests.client.scripted_server import Reply, scripted_server

ORDER: dict[str, Any] = {
    "id": 52918307731,
    "status": "PROCESSING",
    "substatus": "STARTED",
    "creationDate": "07-12-2026 17:00:00",
    "updatedAt": "07-12-2026 17:00:00",
    "currency": "RUR",
    "itemsTotal": 100,
    "deliveryTotal": 0,
    "buyerItemsTotalBeforeDiscount": 100,
    "paymentType": "POSTPAID",
    "paymentMethod": "CASH_ON_DELIVERY",
    "fake": True,
    "items": [
        {
            "id": 927228430,
            "offerId": "sku-1",
            "offerName": "sku-1",
            "price": 100,
            "buyerPrice": 100,
            "buyerPriceBeforeDiscount": 100,
            "count": 1,
            "vat": "NO_VAT",
            "requiredInstanceTypes": ["CIS"],
        }
    ],
    "delivery": {
        "type": "DELIVERY",
        "serviceName": "Own couriers",
        "deliveryPartnerType": "SHOP",
        "dates": {"fromDate": "09-12-2026"},
        "deliveryServiceId": 99,
        "dispatchType": "BUYER",
        "estimated": False,
    },
    "buyer": {"type": "PERSON"},
    "taxSystem": "OSN",
    "cancelRequested": False,
}


def _with(**changes: Any) -> dict[str, Any]:
    order = copy.deepcopy(ORDER)
    order.update(changes)
    return order


def test_unknown_substatus_and_nested_enum_values_are_kept() -> None:
    order = _with(substatus="AWAITING_SOMETHING_NEW")
    order["items"][0]["requiredInstanceTypes"] = ["CIS", "SOMETHING_NEW"]
    with (
        scripted_server([Reply(200, {"order": order})]) as (url, _script),
        MarketClient(api_key="k", base_url=url) as client,
        pytest.warns(DeprecationWarning, match="get_business_orders"),
    ):
        answer = client.get_order(campaign_id=1, order_id=52918307731)
    assert isinstance(answer, GetOrderResponse)
    assert isinstance(answer.order, OrderDTO)
    substatus = answer.order.substatus
    assert isinstance(substatus, OrderSubstatus)
    assert substatus == "AWAITING_SOMETHING_NEW"
    assert (substatus.value, is_known(substatus)) == ("AWAITING_SOMETHING_NEW", False)
    assert answer.order.status is OrderStatus.PROCESSING and is_known(answer.order.status)
    kinds = answer.order.items[0].required_instance_types
    assert kinds is not None and kinds[0] is InstanceType.CIS and kinds[1] == "SOMETHING_NEW"
    # Written back as it came.
    dumped = answer.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["order"]["substatus"] == "AWAITING_SOMETHING_NEW"


def test_known_answers_are_the_contract_models_themselves() -> None:
    answer = parse_answer(GetOrderResponse, b'{"order": %s}' % _json(ORDER))
    assert type(answer) is GetOrderResponse


def test_an_answer_that_is_not_the_document_is_an_unexpected_answer() -> None:
    broken = _with()
    del broken["items"]
    with (
        scripted_server([Reply(200, {"order": broken})]) as (url, _script),
        MarketClient(api_key="k", base_url=url) as client,
        pytest.warns(DeprecationWarning),
        pytest.raises(UnexpectedAnswerError) as raised,
    ):
        client.get_order(campaign_id=1, order_id=1)
    assert raised.value.status_code == 200


def test_request_models_stay_strict() -> None:
    with pytest.raises(ValidationError):
        UpdateOrderStatusRequest.model_validate({"order": {"status": "SOMETHING_NEW"}})
    with pytest.raises(ValidationError):
        GetBusinessOrdersRequest.model_validate({"statuses": ["SOMETHING_NEW"]})
    with (
        MarketClient(api_key="k", base_url="http://127.0.0.1:9") as client,
        pytest.raises(ValidationError),
    ):
        client.update_order_status(campaign_id=1, order_id=1, status="SOMETHING_NEW")


def _json(document: Any) -> bytes:
    import json

    return json.dumps(document).encode()
