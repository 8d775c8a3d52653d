"""Retries of 5xx and dropped connections against a scripted local server, sync and async."""

from __future__ import annotations

import json
from datetime import date

import pytest

from dbskit.client import (
    Action,
    AsyncMarketClient,
    BadRequestError,
    MarketClient,
    Reason,
    RetryEvent,
    RetryPolicy,
    ServerError,
    TransportError,
)
from dbskit.contract.answers import EmptyApiResponse
from tests.client.scripted_server import DROP, Reply, scripted_server
from tests.client.scripted_server import free_port as closed_port

KEY = "ACMA:" + "a" * 49
FAST = RetryPolicy(max_retries=2, backoff_initial_seconds=0.01, backoff_max_seconds=0.02)
OK = Reply(200, {"status": "OK"})
SERVICES = Reply(200, {"result": {"deliveryService": [{"id": 99, "name": "Own couriers"}]}})
FAILED = Reply(500, {"status": "ERROR", "errors": [{"code": "INTERNAL_ERROR", "message": "x"}]})
DELIVERED = Reply(
    400,
    {
        "status": "ERROR",
        "errors": [
            {
                "code": "ORDER_IN_TERMINAL_STATE",
                "message": "Order is in terminal state: order 7 is DELIVERED",
            }
        ],
    },
)


def test_a_read_is_retried_after_a_5xx_and_a_dropped_connection() -> None:
    events: list[RetryEvent] = []
    with scripted_server([FAILED, DROP, SERVICES]) as (url, script):
        client = MarketClient(api_key=KEY, base_url=url, retry=FAST, on_retry=events.append)
        with client:
            answer = client.get_delivery_services()
    assert [s.id for s in answer.result.delivery_service] == [99]
    assert len(script.received) == 3
    assert [(e.attempt, e.reason, e.action) for e in events] == [
        (1, Reason.SERVER_ERROR, Action.RETRY),
        (2, Reason.DROPPED, Action.RETRY),
    ]
    # The same request id on every attempt, the credentials as the Market takes them.
    ids = {request.headers["x-request-id"] for request in script.received}
    assert len(ids) == 1
    assert script.received[0].headers["api-key"] == KEY


def test_retries_end_with_the_last_error() -> None:
    events: list[RetryEvent] = []
    with (
        scripted_server([FAILED, FAILED, FAILED, OK]) as (url, script),
        MarketClient(api_key=KEY, base_url=url, retry=FAST, on_retry=events.append) as client,
        pytest.raises(ServerError) as raised,
    ):
        client.get_delivery_services()
    assert len(script.received) == 3
    assert raised.value.status_code == 500
    assert [e.action for e in events] == [Action.RETRY, Action.RETRY, Action.RAISE]
    assert raised.value.operation_id == "getDeliveryServices"
    assert [(e.code, e.message) for e in raised.value.errors] == [("INTERNAL_ERROR", "x")]


def test_accepting_a_cancellation_is_not_repeated_after_a_5xx_or_a_drop() -> None:
    for first, error in ((FAILED, ServerError), (DROP, TransportError)):
        with (
            scripted_server([first, OK]) as (url, script),
            MarketClient(api_key=KEY, base_url=url, retry=FAST) as client,
            pytest.raises(error),
        ):
            client.accept_order_cancellation(campaign_id=1, order_id=7, accepted=True)
        assert len(script.received) == 1
        assert json.loads(script.received[0].body) == {"accepted": True}


def test_a_call_that_never_left_is_retried_whatever_the_operation() -> None:
    events: list[RetryEvent] = []
    url = f"http://127.0.0.1:{closed_port()}"
    with (
        MarketClient(api_key=KEY, base_url=url, retry=FAST, on_retry=events.append) as client,
        pytest.raises(TransportError) as raised,
    ):
        client.accept_order_cancellation(campaign_id=1, order_id=7, accepted=True)
    assert [(e.reason, e.action) for e in events] == [
        (Reason.CONNECT, Action.RETRY),
        (Reason.CONNECT, Action.RETRY),
        (Reason.CONNECT, Action.RAISE),
    ]
    assert raised.value.request_id is not None


def test_keys_repeated_after_a_drop_onto_a_delivered_order_are_done() -> None:
    """OQ-01: the repeat's 400 ORDER_IN_TERMINAL_STATE (DELIVERED) means the first call took."""
    events: list[RetryEvent] = []
    with (
        scripted_server([DROP, DELIVERED]) as (url, script),
        MarketClient(api_key=KEY, base_url=url, retry=FAST, on_retry=events.append) as client,
    ):
        answer = client.provide_order_digital_codes(
            campaign_id=1,
            order_id=7,
            keys={11: ["AAAA-BBBB"]},
            slip="Redeem on the site",
            activate_till=date(2030, 12, 31),
        )
    assert answer == EmptyApiResponse()
    assert script.received[0].body == script.received[1].body
    assert json.loads(script.received[0].body) == {
        "items": [
            {
                "id": 11,
                "slip": "Redeem on the site",
                "activate_till": "2030-12-31",
                "codes": ["AAAA-BBBB"],
            }
        ]
    }
    assert [e.action for e in events] == [Action.RETRY, Action.DONE]


def test_keys_refused_on_the_first_attempt_stay_an_error() -> None:
    with (
        scripted_server([DELIVERED]) as (url, _script),
        MarketClient(api_key=KEY, base_url=url, retry=FAST) as client,
        pytest.raises(BadRequestError) as raised,
    ):
        client.provide_order_digital_codes(
            campaign_id=1, order_id=7, keys={11: ["K"]}, slip="s", activate_till=date(2030, 1, 1)
        )
    assert raised.value.errors[0].code == "ORDER_IN_TERMINAL_STATE"


async def test_the_async_client_retries_the_same_way() -> None:
    events: list[RetryEvent] = []
    with scripted_server([DROP, FAILED, SERVICES]) as (url, script):
        async with AsyncMarketClient(
            oauth_token="y0_token", base_url=url, retry=FAST, on_retry=events.append
        ) as client:
            answer = await client.get_delivery_services()
    assert answer.result.delivery_service[0].name == "Own couriers"
    assert [e.reason for e in events] == [Reason.DROPPED, Reason.SERVER_ERROR]
    assert script.received[0].headers["authorization"] == "Bearer y0_token"


async def test_the_async_client_does_not_repeat_an_accepted_cancellation() -> None:
    with scripted_server([FAILED, OK]) as (url, script):
        async with AsyncMarketClient(api_key=KEY, base_url=url, retry=FAST) as client:
            with pytest.raises(ServerError):
                await client.accept_order_cancellation(
                    campaign_id=1, order_id=7, accepted=False, reason="ORDER_DELIVERED"
                )
    assert [json.loads(r.body) for r in script.received] == [
        {"accepted": False, "reason": "ORDER_DELIVERED"}
    ]
