"""GET /sandbox/campaigns/{campaignId}/orders/{orderId}: the order and what the Market keeps
behind it, after real Partner API calls (deliverDigitalGoods, delivery/track, identifiers).

Whole bodies are compared. ``order`` must be getOrder's own answer, and ``outbox`` the
``/sandbox/outbox`` listing of the order; the rest is written out from the calls the test made.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from dbskit.contract import limits
from tests.conftest import envelope
from tests.factories import create_token
from tests.http.test_deliver_digital_goods import (
    DAY,
    advance,
    deliver_path,
    digital_order,
    item_ids,
    keys_body,
)
from tests.http.test_identifiers import (
    CIS_A,
    CIS_A_SHORT,
    CIS_B,
    CIS_B_SHORT,
    UIN_A,
    identifiers_path,
    marked_order,
)
from tests.orders_support import FROZEN_AT, Shops, expected_order

pytestmark = pytest.mark.usefixtures("wall")

OK = {"status": "OK"}
CDEK, BOXBERRY = 51, 106
HOSTILE_SLIP = '<p onclick="steal()">Redeem</p><script>alert(1)</script><li>at example.com</li>'
HOSTILE_SLIP_RENDERED = "<p>Redeem</p>at example.com"  # the e-mail's cleaned slip
EMAIL_DELAY = 600  # seconds: room for a repeat and a replacement before the e-mail (OQ-05)
WINDOW = int(limits.DIGITAL_CODES_WINDOW.total_seconds())


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def view_path(shops: Shops, order_id: int | str, campaign_id: int | None = None) -> str:
    return f"/sandbox/campaigns/{campaign_id or shops.mine.campaign_id}/orders/{order_id}"


async def view(client: httpx.AsyncClient, shops: Shops, order_id: int) -> dict[str, Any]:
    response = await client.get(view_path(shops, order_id), headers=shops.sandbox_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def get_order(client: httpx.AsyncClient, shops: Shops, order_id: int) -> dict[str, Any]:
    response = await client.get(shops.path(order_id))
    assert response.status_code == 200, response.text
    order: dict[str, Any] = response.json()["order"]
    return order


async def deliver_keys(client: httpx.AsyncClient, shops: Shops, order: dict[str, Any]) -> None:
    """The keys of a ``digital_order`` (2 + 1 units), accepted."""
    first, second = item_ids(order)
    body = keys_body((first, ["K-1", "K-2"]), (second, ["K-3"]))
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (200, OK)


async def outbox(client: httpx.AsyncClient, shops: Shops, order_id: int) -> list[dict[str, Any]]:
    response = await client.get(
        "/sandbox/outbox", params={"orderId": order_id}, headers=shops.sandbox_headers
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def unmarked(order: dict[str, Any]) -> list[dict[str, Any]]:
    """``marking`` of an order whose items need no codes and got none."""
    return [
        {
            "id": item["id"],
            "offerId": item["offerId"],
            "count": item["count"],
            "requiredInstanceTypes": [],
            "units": [],
        }
        for item in order["items"]
    ]


def lateness(*, received: datetime | None = None, late_by: float | None = None) -> dict[str, Any]:
    """The 30-minute window of an order placed in PROCESSING at FROZEN_AT (R-009)."""
    body: dict[str, Any] = {
        "windowMinutes": 30,
        "processingSince": iso(FROZEN_AT),
        "deadline": iso(FROZEN_AT + limits.DIGITAL_CODES_WINDOW),
        "late": late_by is not None,
    }
    if received is not None:
        body["keysReceivedAt"] = iso(received)
    if late_by is not None:
        body["lateBySeconds"] = late_by
    return body


def code_warning(at: datetime, index: int) -> dict[str, Any]:
    return {
        "at": iso(at),
        "operationId": "provideOrderDigitalCodes",
        "code": "DEPRECATED_FIELD",
        "rule": "C-03",
        "message": f"Field items[{index}].code is deprecated: send the key in items[{index}].codes",
    }


@pytest.mark.rule("OQ-01", "OQ-04", "OQ-05", "R-005", "R-011", "C-03", "R-119")
@pytest.mark.parametrize("settings_overrides", [{"digital_delivery_delay_seconds": EMAIL_DELAY}])
async def test_keys_repeated_replaced_and_emailed(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    with_code = {
        "items": [
            {"id": first, "codes": ["K-1", "K-2"], "slip": "<p>Redeem</p>", "activate_till": DAY},
            {"id": second, "code": "K-3", "slip": "<p>Redeem</p>", "activate_till": DAY},
        ]
    }
    for _ in range(2):  # the first call, then an identical repeat a minute later (OQ-01)
        response = await client.post(deliver_path(shops, order), json=with_code)
        assert (response.status_code, response.json()) == (200, OK)
        await advance(client, 60, sandbox_headers)
    replacement = keys_body((first, ["N-1", "N-2"]), (second, ["N-3"]))
    replacement["items"][0]["slip"] = HOSTILE_SLIP
    response = await client.post(deliver_path(shops, order), json=replacement)
    assert (response.status_code, response.json()) == (200, OK)
    await advance(client, EMAIL_DELAY - 120, sandbox_headers)  # the e-mail falls due (OQ-05)

    body = await view(client, shops, order["id"])
    delivered = await get_order(client, shops, order["id"])
    assert (delivered["status"], delivered["substatus"]) == (
        "DELIVERED",
        "DELIVERY_SERVICE_DELIVERED",
    )
    messages = await outbox(client, shops, order["id"])
    assert [(m["kind"], m["payload"].get("notificationType")) for m in messages] == [
        ("notification", "ORDER_CREATED"),
        ("email", None),
        ("notification", "ORDER_STATUS_UPDATED"),
    ]
    emailed_at = FROZEN_AT + timedelta(seconds=EMAIL_DELAY)
    assert body == {
        "order": delivered,
        "digitalKeys": {
            "calls": 3,
            "replacements": 1,
            "identicalRepeats": 1,
            "firstReceivedAt": iso(FROZEN_AT),
            "receivedAt": iso(FROZEN_AT + timedelta(seconds=120)),
            "emailDueAt": iso(emailed_at),
            "deliveredAt": iso(emailed_at),
            "deliveredBy": "email",
            "items": [
                {
                    "id": first,
                    "offerId": "game-1",
                    "batches": [
                        {
                            "codes": ["N-1", "N-2"],
                            "activateTill": DAY,
                            "slip": HOSTILE_SLIP,
                            "slipRendered": HOSTILE_SLIP_RENDERED,
                        }
                    ],
                },
                {
                    "id": second,
                    "offerId": "game-2",
                    "batches": [
                        {
                            "codes": ["N-3"],
                            "activateTill": DAY,
                            "slip": "<p>Redeem at example.com</p>",
                            "slipRendered": "<p>Redeem at example.com</p>",
                        }
                    ],
                },
            ],
        },
        "digitalDelivery": {"type": "EMAIL"},
        "lateness": lateness(received=FROZEN_AT),
        "tracks": [],
        "marking": unmarked(order),
        "warnings": [
            code_warning(FROZEN_AT, 1),
            code_warning(FROZEN_AT + timedelta(seconds=60), 1),
        ],
        "outbox": messages,
    }


@pytest.mark.rule("R-009", "OQ-04")
async def test_lateness_on_the_sandbox_clock(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await digital_order(shops)
    assert (await view(client, shops, order["id"]))["lateness"] == lateness()

    await advance(client, WINDOW, sandbox_headers)  # at the deadline itself: not late yet
    assert (await view(client, shops, order["id"]))["lateness"] == lateness()

    await advance(client, 90, sandbox_headers)  # keys still missing 90 s past the deadline
    assert (await view(client, shops, order["id"]))["lateness"] == lateness(late_by=90.0)

    await advance(client, 30, sandbox_headers)
    await deliver_keys(client, shops, order)  # OQ-04: accepted, flagged
    await advance(client, 600, sandbox_headers)  # measured when the keys came, not now
    received = FROZEN_AT + timedelta(seconds=WINDOW + 120)
    assert (await view(client, shops, order["id"]))["lateness"] == lateness(
        received=received, late_by=120.0
    )


@pytest.mark.rule("R-009", "OQ-04")
async def test_keys_at_the_deadline_are_not_late(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await digital_order(shops)
    await advance(client, WINDOW, sandbox_headers)
    await deliver_keys(client, shops, order)
    await advance(client, 3600, sandbox_headers)
    assert (await view(client, shops, order["id"]))["lateness"] == lateness(
        received=FROZEN_AT + limits.DIGITAL_CODES_WINDOW
    )


@pytest.mark.rule("R-009", "OQ-04", "R-105")
async def test_an_order_that_left_processing_without_keys_is_measured_when_it_left(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await digital_order(shops)
    await advance(client, 40 * 60, sandbox_headers)
    cancelled = await shops.move(order["id"], "CANCELLED", "USER_CHANGED_MIND")
    assert cancelled.status_code == 200, cancelled.text
    await advance(client, 3600, sandbox_headers)
    assert (await view(client, shops, order["id"]))["lateness"] == lateness(late_by=600.0)


@pytest.mark.rule("R-006", "OQ-02", "C-03")
async def test_a_refused_call_leaves_no_warning(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    body = {
        "items": [
            {"id": first, "code": "K-1", "slip": "s", "activate_till": DAY},  # needs 2 keys
            {"id": second, "code": "K-3", "slip": "s", "activate_till": DAY},
        ]
    }
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        400,
        envelope(("BAD_REQUEST", f"Item {first} of order {order['id']} needs 2 keys, 1 given")),
    )
    answer = await view(client, shops, order["id"])
    assert (answer["warnings"], "digitalKeys" in answer) == ([], False)


@pytest.mark.rule("C-04")
async def test_keys_over_the_current_limit_are_kept_with_a_warning(
    client: httpx.AsyncClient, shops: Shops
) -> None:
    order = await digital_order(shops, counts=(1,))
    (item_id,) = item_ids(order)
    long_key = "k" * (limits.DIGITAL_CODE_MAX_LENGTH_2026 + 1)
    response = await client.post(deliver_path(shops, order), json=keys_body((item_id, [long_key])))
    assert (response.status_code, response.json()) == (200, OK)
    assert (await view(client, shops, order["id"]))["warnings"] == [
        {
            "at": iso(FROZEN_AT),
            "operationId": "provideOrderDigitalCodes",
            "code": "OVER_CURRENT_SPEC_LIMIT",
            "rule": "C-04",
            "message": (
                "Value / length of field items[0].codes[0] (257) is over 256, "
                "the limit of the current spec"
            ),
        }
    ]


async def as_oauth(
    client: httpx.AsyncClient, token: str, method: str, path: str, body: Any, *, api_key: bool
) -> httpx.Response:
    """A call with ``Authorization: Bearer``; with ``api_key`` the client's Api-Key goes too."""
    request = client.build_request(
        method, path, json=body, headers={"Authorization": f"Bearer {token}"}
    )
    if not api_key:
        del request.headers["Api-Key"]
    return await client.send(request)


def oauth_warning(operation_id: str, at: datetime = FROZEN_AT) -> dict[str, Any]:
    return {
        "at": iso(at),
        "operationId": operation_id,
        "code": "DEPRECATED_AUTHORIZATION",
        "rule": "R-074",
        "message": (
            "OAuth authorization is deprecated: send an Api-Key token in the Api-Key header instead"
        ),
    }


@pytest.mark.rule("R-074", "OQ-10", "OQ-23", "C-03")
async def test_calls_made_with_oauth_are_noted(client: httpx.AsyncClient, shops: Shops) -> None:
    token = (await create_token(client, shops.mine.business_id, None, kind="OAUTH"))["oauthToken"]
    order = await shops.place()
    (item_id,) = item_ids(order)
    path = shops.path(order["id"])
    ready = {"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}}
    gtd = {"gtd": "10702070/010122/0000001", "countryCode": "CN"}
    accepted = [
        ("POST", f"{path}/delivery/track", {"trackCode": "T-1", "deliveryServiceId": CDEK}),
        ("PUT", f"{path}/identifiers", {"items": [{"id": item_id, "instances": [gtd]}]}),
        ("PUT", f"{path}/status", ready),
    ]
    for method, target, body in accepted:
        response = await as_oauth(client, token, method, target, body, api_key=False)
        assert response.status_code == 200, response.text
    # OQ-10: with an Api-Key beside it, the Api-Key is what authenticated the call.
    repeat = await as_oauth(client, token, "PUT", f"{path}/status", ready, api_key=True)
    assert repeat.status_code == 200, repeat.text
    # A refused call leaves nothing; a read (getOrder) writes nothing.
    refused = await as_oauth(
        client, token, "PUT", f"{path}/status", {"order": {"status": "DELIVERED"}}, api_key=False
    )
    assert refused.status_code == 400, refused.text
    assert (await as_oauth(client, token, "GET", path, None, api_key=False)).status_code == 200
    assert (await view(client, shops, order["id"]))["warnings"] == [
        oauth_warning("setOrderDeliveryTrackCode"),
        oauth_warning("provideOrderItemIdentifiers"),
        oauth_warning("updateOrderStatus"),
    ]

    digital = await digital_order(shops, counts=(1,))
    (key_item,) = item_ids(digital)
    body = {"items": [{"id": key_item, "code": "K-1", "slip": "s", "activate_till": DAY}]}
    response = await as_oauth(
        client, token, "POST", deliver_path(shops, digital), body, api_key=False
    )
    assert (response.status_code, response.json()) == (200, OK)
    assert (await view(client, shops, digital["id"]))["warnings"] == [
        oauth_warning("provideOrderDigitalCodes"),
        code_warning(FROZEN_AT, 0),
    ]


@pytest.mark.rule("R-021", "OQ-06", "R-119")
async def test_every_track_with_the_current_one_marked(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await shops.place()
    track_path = f"{shops.path(order['id'])}/delivery/track"
    first = {"trackCode": "RA123456789RU", "deliveryServiceId": CDEK}
    second = {"trackCode": "BB-77", "deliveryServiceId": BOXBERRY}
    for track in (first, first, second):  # the repeat changes nothing (OQ-06)
        response = await client.post(track_path, json=track)
        assert (response.status_code, response.json()) == (200, OK)
        await advance(client, 60, sandbox_headers)

    body = await view(client, shops, order["id"])
    shown = await get_order(client, shops, order["id"])
    expected = expected_order(order, updated=FROZEN_AT + timedelta(seconds=120))
    expected["delivery"]["tracks"] = [second]
    assert shown == expected
    assert body == {
        "order": shown,
        "tracks": [
            {**first, "setAt": iso(FROZEN_AT), "current": False},
            {**second, "setAt": iso(FROZEN_AT + timedelta(seconds=120)), "current": True},
        ],
        "marking": unmarked(order),
        "warnings": [],
        "outbox": await outbox(client, shops, order["id"]),
    }


@pytest.mark.rule("R-035", "OQ-08", "OQ-09", "R-033")
async def test_marking_codes_per_unit_as_stored(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await marked_order(shops)
    shoes, ring, mug = item_ids(order)
    gtd = "10702070/010122/0000001"
    body = {
        "items": [
            {"id": shoes, "instances": [{"cis": CIS_A}, {"cis": CIS_B}]},
            {"id": ring, "instances": [{"uin": UIN_A}]},
            {"id": mug, "instances": [{"gtd": gtd, "countryCode": "CN"}]},
        ]
    }
    response = await client.put(identifiers_path(shops, order), json=body)
    assert response.status_code == 200, response.text

    answer = await view(client, shops, order["id"])
    assert answer == {
        "order": await get_order(client, shops, order["id"]),
        "tracks": [],
        "marking": [
            {
                "id": shoes,
                "offerId": "shoes-1",
                "count": 2,
                "requiredInstanceTypes": ["CIS"],
                "units": [
                    {"unit": 1, "type": "CIS", "cis": CIS_A_SHORT, "cisFull": CIS_A},
                    {"unit": 2, "type": "CIS", "cis": CIS_B_SHORT, "cisFull": CIS_B},
                ],
            },
            {
                "id": ring,
                "offerId": "ring-1",
                "count": 1,
                "requiredInstanceTypes": ["UIN"],
                "units": [{"unit": 1, "type": "UIN", "uin": UIN_A}],
            },
            {
                "id": mug,
                "offerId": "mug-1",
                "count": 1,
                "requiredInstanceTypes": [],
                "units": [{"unit": 1, "type": "GTD", "gtd": gtd, "countryCode": "CN"}],
            },
        ],
        "warnings": [],
        "outbox": await outbox(client, shops, order["id"]),
    }


@pytest.mark.rule("OQ-13", "R-107")
async def test_unknown_campaign_and_order_are_404(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    theirs = await shops.place(campaign_id=shops.other.campaign_id)
    cases = [
        (view_path(shops, 1, campaign_id=99), ("NOT_FOUND", "Campaign not found: '99'")),
        (view_path(shops, 123), ("NOT_FOUND", "Order not found: '123'")),
        (view_path(shops, theirs["id"]), ("NOT_FOUND", f"Order not found: '{theirs['id']}'")),
    ]
    for path, error in cases:
        response = await client.get(path, headers=sandbox_headers)
        assert (response.status_code, response.json()) == (404, envelope(error)), path


@pytest.mark.rule("R-003", "R-081")
async def test_a_path_id_that_is_not_a_number_is_400(
    client: httpx.AsyncClient, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    response = await client.get(view_path(shops, "abc"), headers=sandbox_headers)
    market = await client.get(shops.path("abc"))
    assert response.status_code == market.status_code == 400
    assert response.json() == market.json()


@pytest.mark.rule("R-107")
async def test_the_sandbox_token_is_required(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await shops.place()
    for headers in ({}, {"Sandbox-Token": "wrong"}):
        response = await client.get(view_path(shops, order["id"]), headers=headers)
        assert (response.status_code, response.json()) == (
            401,
            envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong")),
        )
