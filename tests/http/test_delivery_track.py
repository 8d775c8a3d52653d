"""POST v2/campaigns/{campaignId}/orders/{orderId}/delivery/track (R-018..R-021, OQ-06)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.market.domain.order import Track
from dbskit.market.runtime import Runtime
from dbskit.market.storage.tracks import TrackRecord, track_history
from tests.conftest import envelope
from tests.orders_support import FROZEN_AT, Shops

OK = {"status": "OK"}
CDEK, BOXBERRY = 51, 106


pytestmark = pytest.mark.usefixtures("wall")


def track_path(shops: Shops, order: dict[str, Any]) -> str:
    return f"{shops.path(order['id'])}/delivery/track"


def history(app: FastAPI, order_id: int) -> list[TrackRecord]:
    runtime: Runtime = app.state.runtime
    with runtime.db.read() as conn:
        return track_history(conn, order_id)


# Eight calls at once on one key: lift the parallel cap so all of them reach the order.
CONCURRENT = {"parallel_limit": 8}


@pytest.mark.rule("R-015", "R-018", "R-020", "R-021", "OQ-06")
async def test_track_set_then_replaced(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops
) -> None:
    order = await shops.place()
    body = {"trackCode": "RA123456789RU", "deliveryServiceId": CDEK}
    response = await client.post(track_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (200, OK)
    delivery = (await client.get(shops.path(order["id"]))).json()["order"]["delivery"]
    assert delivery["tracks"] == [{"trackCode": "RA123456789RU", "deliveryServiceId": CDEK}]

    response = await client.post(
        track_path(shops, order), json={"trackCode": "BB-77", "deliveryServiceId": BOXBERRY}
    )
    assert (response.status_code, response.json()) == (200, OK)
    delivery = (await client.get(shops.path(order["id"]))).json()["order"]["delivery"]
    assert delivery["tracks"] == [{"trackCode": "BB-77", "deliveryServiceId": BOXBERRY}]
    assert history(app, order["id"]) == [
        TrackRecord(Track("RA123456789RU", CDEK), FROZEN_AT, current=False),
        TrackRecord(Track("BB-77", BOXBERRY), FROZEN_AT, current=True),
    ]


@pytest.mark.rule("R-021", "R-119")
async def test_no_tracks_before_the_first_call(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await shops.place()
    delivery = (await client.get(shops.path(order["id"]))).json()["order"]["delivery"]
    assert "tracks" not in delivery


@pytest.mark.rule("R-019")
@pytest.mark.parametrize(
    ("delivery_type", "status", "substatus"),
    [
        pytest.param("DELIVERY", "DELIVERY", "DELIVERY_SERVICE_RECEIVED", id="DELIVERY"),
        pytest.param("PICKUP", "PICKUP", "PICKUP_SERVICE_RECEIVED", id="PICKUP"),
    ],
)
async def test_allowed_after_processing(
    client: httpx.AsyncClient, shops: Shops, delivery_type: str, status: str, substatus: str
) -> None:
    order = await shops.place(delivery={"type": delivery_type}, status=status, substatus=substatus)
    response = await client.post(
        track_path(shops, order), json={"trackCode": "T-1", "deliveryServiceId": CDEK}
    )
    assert (response.status_code, response.json()) == (200, OK)


@pytest.mark.rule("R-019")
@pytest.mark.parametrize(
    ("status", "substatus"),
    [
        pytest.param("DELIVERED", "DELIVERY_SERVICE_DELIVERED", id="DELIVERED"),
        pytest.param("CANCELLED", "SHOP_FAILED", id="CANCELLED"),
    ],
)
async def test_refused_in_other_statuses(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops, status: str, substatus: str
) -> None:
    order = await shops.place(status=status, substatus=substatus)
    response = await client.post(
        track_path(shops, order), json={"trackCode": "T-1", "deliveryServiceId": CDEK}
    )
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "INVALID_ORDER_STATUS",
                f"Order {order['id']} is in status {status}; this method is allowed only in "
                "PROCESSING, DELIVERY, PICKUP",
            )
        ),
    )
    assert history(app, order["id"]) == []


@pytest.mark.rule("R-018", "R-081", "OQ-06")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {},
            envelope(
                ("BAD_REQUEST", "Missing field trackCode"),
                ("BAD_REQUEST", "Missing field deliveryServiceId"),
            ),
            id="both-missing",
        ),
        pytest.param(
            {"trackCode": "T-1", "deliveryServiceId": "x"},
            envelope(("BAD_REQUEST", "Value of field deliveryServiceId must be an integer")),
            id="service-not-integer",
        ),
        pytest.param(
            {"trackCode": "T-1", "deliveryServiceId": 424242},
            envelope(
                (
                    "BAD_REQUEST",
                    "Value of field deliveryServiceId (424242) is not a delivery service listed "
                    "by GET v2/delivery/services",
                )
            ),
            id="OQ-06-unknown-service",
        ),
    ],
)
async def test_rejected(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops, body: Any, expected: Any
) -> None:
    order = await shops.place()
    response = await client.post(track_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (400, expected)
    assert history(app, order["id"]) == []


@pytest.mark.rule("OQ-06", "R-022")
@pytest.mark.parametrize(
    ("settings_overrides", "expected"),
    [
        pytest.param({}, (200, OK), id="default-accepts"),
        pytest.param(
            {"strict_track_codes": True},
            (
                400,
                envelope(
                    (
                        "TRACK_CODE_ALREADY_USED",
                        "Track code 'RA1' is already used by another order of campaign {campaign}",
                    )
                ),
            ),
            id="strict-refuses",
        ),
    ],
)
async def test_track_code_of_another_order(
    client: httpx.AsyncClient, shops: Shops, expected: tuple[int, Any]
) -> None:
    first = await shops.place()
    second = await shops.place()
    body = {"trackCode": "RA1", "deliveryServiceId": CDEK}
    assert (await client.post(track_path(shops, first), json=body)).status_code == 200
    response = await client.post(track_path(shops, second), json=body)
    status, answer = expected
    if status == 400:
        message = answer["errors"][0]["message"].format(campaign=shops.mine.campaign_id)
        answer = envelope(("TRACK_CODE_ALREADY_USED", message))
    assert (response.status_code, response.json()) == (status, answer)
    # The same order may send its own track again.
    assert (await client.post(track_path(shops, first), json=body)).status_code == 200


@pytest.mark.rule("OQ-06")
@pytest.mark.parametrize("settings_overrides", [CONCURRENT])
async def test_simultaneous_identical_calls_record_one_track(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops
) -> None:
    order = await shops.place()
    body = {"trackCode": "RA9", "deliveryServiceId": CDEK}
    responses = await asyncio.gather(
        *(client.post(track_path(shops, order), json=body) for _ in range(8))
    )
    assert [(r.status_code, r.json()) for r in responses] == [(200, OK)] * 8
    assert history(app, order["id"]) == [TrackRecord(Track("RA9", CDEK), FROZEN_AT, current=True)]
