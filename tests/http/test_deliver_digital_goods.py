"""POST v2/campaigns/{campaignId}/orders/{orderId}/deliverDigitalGoods over HTTP.

R-004..R-012, C-03..C-07, OQ-01..OQ-05: accepted and rejected calls with whole bodies, the
e-mail and the DELIVERED move on the sandbox clock, and concurrent identical calls.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.contract import limits
from dbskit.contract.call_warnings import CallWarning, WarningCode
from dbskit.market.storage.digital_keys import load_keys
from dbskit.market.storage.order_warnings import warnings_of_order
from tests.conftest import envelope
from tests.factories import runtime_of
from tests.orders_support import FROZEN_AT, FrozenWall, Shops

OK = {"status": "OK"}
DAY = "2030-12-31"


def keys_body(*items: tuple[int, list[str]], **fields: Any) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": item_id,
                "codes": codes,
                "slip": "<p>Redeem at example.com</p>",
                "activate_till": DAY,
                **fields,
            }
            for item_id, codes in items
        ]
    }


async def digital_order(
    shops: Shops, counts: tuple[int, ...] = (2, 1), **body: Any
) -> dict[str, Any]:
    items = [
        {"offerId": f"game-{n}", "offerName": f"Game {n}", "count": count, "price": 1500}
        for n, count in enumerate(counts, start=1)
    ]
    return await shops.place(items=items, delivery={"type": "DIGITAL"}, **body)


def deliver_path(shops: Shops, order: dict[str, Any]) -> str:
    return f"{shops.path(order['id'])}/deliverDigitalGoods"


def item_ids(order: dict[str, Any]) -> list[int]:
    return [item["id"] for item in order["items"]]


async def advance(client: httpx.AsyncClient, seconds: float, headers: dict[str, str]) -> None:
    response = await client.post(
        "/sandbox/clock", json={"advanceSeconds": seconds}, headers=headers
    )
    assert response.status_code == 200, response.text


async def outbox(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: int
) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, state, payload) of the order's outbox messages, oldest first."""
    response = await client.get("/sandbox/outbox", params={"orderId": order_id}, headers=headers)
    assert response.status_code == 200, response.text
    return [
        (message["kind"], message["state"], message["payload"])
        for message in response.json()["messages"]
    ]


def created(shops: Shops, order: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The ORDER_CREATED message every placed test order starts its outbox with (OQ-25)."""
    return (
        "notification",
        "NOT_SENT",
        {
            "notificationType": "ORDER_CREATED",
            "orderId": order["id"],
            "campaignId": shops.mine.campaign_id,
            "items": [
                {"offerId": item["offerId"], "count": item["count"]} for item in order["items"]
            ],
            "createdAt": FROZEN_AT.isoformat().replace("+00:00", "Z"),
        },
    )


def status_updated(
    shops: Shops, order: dict[str, Any], status: str, substatus: str, at: str
) -> dict[str, Any]:
    return {
        "notificationType": "ORDER_STATUS_UPDATED",
        "orderId": order["id"],
        "campaignId": shops.mine.campaign_id,
        "status": status,
        "substatus": substatus,
        "updatedAt": at,
    }


@pytest.mark.rule("R-001", "R-007", "R-010", "R-011", "OQ-05")
async def test_keys_accepted_then_emailed_and_delivered(
    client: httpx.AsyncClient,
    app: FastAPI,
    shops: Shops,
    wall: FrozenWall,
    sandbox_headers: dict[str, str],
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    response = await client.post(
        deliver_path(shops, order), json=keys_body((first, ["K-1", "K-2"]), (second, ["K-3"]))
    )
    assert (response.status_code, response.json()) == (200, OK)

    view = await client.get(shops.path(order["id"]))
    assert (view.json()["order"]["status"], view.json()["order"]["substatus"]) == (
        "PROCESSING",
        "STARTED",
    )  # not at once

    await advance(client, runtime_of(app).settings.digital_delivery_delay_seconds, sandbox_headers)
    view = await client.get(shops.path(order["id"]))
    assert (view.json()["order"]["status"], view.json()["order"]["substatus"]) == (
        "DELIVERED",
        "DELIVERY_SERVICE_DELIVERED",
    )
    delay = runtime_of(app).settings.digital_delivery_delay_seconds
    delivered_at = (FROZEN_AT + timedelta(seconds=delay)).isoformat().replace("+00:00", "Z")
    assert await outbox(client, sandbox_headers, order["id"]) == [
        created(shops, order),
        (
            "email",
            "SENT",
            {
                "to": "buyer",
                "channel": "email",
                "delivered": True,
                "subject": f"Your keys for order {order['id']}",
                "html": (
                    f"<h1>Your keys for order {order['id']}</h1>"
                    "<h2>Game 1</h2><ol><li>K-1</li><li>K-2</li></ol>"
                    f"<p>Activate before {DAY}</p><div><p>Redeem at example.com</p></div>"
                    "<h2>Game 2</h2><ol><li>K-3</li></ol>"
                    f"<p>Activate before {DAY}</p><div><p>Redeem at example.com</p></div>"
                ),
                "text": (
                    f"Your keys for order {order['id']}\n\n"
                    f"Game 1\n  K-1\n  K-2\nActivate before {DAY}\nRedeem at example.com\n\n"
                    f"Game 2\n  K-3\nActivate before {DAY}\nRedeem at example.com\n"
                ),
            },
        ),
        (
            "notification",
            "NOT_SENT",
            status_updated(shops, order, "DELIVERED", "DELIVERY_SERVICE_DELIVERED", delivered_at),
        ),
    ]


def bad(*messages: str) -> dict[str, Any]:
    return envelope(*(("BAD_REQUEST", message) for message in messages))


@pytest.mark.rule("R-004", "R-005", "R-006", "R-081", "C-05", "C-06")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"items": []}, bad("Collection of field items must not be empty"), id="R-004-empty"
        ),
        pytest.param(
            {"items": [{"id": 1, "codes": ["a"], "slip": "s", "activate_till": "2030-02-30"}]},
            bad("Value of field items[0].activate_till must be a date"),
            id="R-005-not-a-calendar-date",
        ),
        pytest.param(
            {"items": [{"id": 1, "code": "a", "codes": ["b"], "slip": "s", "activate_till": DAY}]},
            bad("Fields items[0].code and items[0].codes must not be used together"),
            id="R-006-code-with-codes",
        ),
        pytest.param(
            {"items": [{"id": 1, "slip": "s", "activate_till": DAY}]},
            bad("Missing field items[0].codes"),
            id="C-05-neither",
        ),
        pytest.param(
            {
                "items": [
                    {"id": 1, "codes": ["a"], "slip": "s", "activate_till": DAY},
                    {"id": 1, "codes": ["a"], "slip": "s", "activate_till": DAY},
                ]
            },
            bad(
                "Value of field items[1].codes[0] ('a') must be unique: "
                "it repeats items[0].codes[0]"
            ),
            id="C-06-unique-over-merged",
        ),
    ],
)
async def test_request_rejected_and_nothing_written(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops, body: Any, expected: Any
) -> None:
    order = await digital_order(shops)
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (400, expected)
    with runtime_of(app).db.read() as conn:
        assert load_keys(conn, order["id"]) is None


@pytest.mark.rule("R-008", "C-03", "C-06")
async def test_seed_accepts_split_ids_and_the_deprecated_code(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    body = {
        "items": [
            {"id": first, "codes": ["K-1"], "slip": "s", "activate_till": DAY},
            {"id": second, "code": "K-3", "slip": "s", "activate_till": DAY},
            {"id": first, "codes": ["K-2"], "slip": "s", "activate_till": DAY},
        ]
    }
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (200, OK)
    with runtime_of(app).db.read() as conn:
        stored = load_keys(conn, order["id"])
        warnings = warnings_of_order(conn, order["id"])
    assert stored is not None
    assert stored.submission.keys_by_item() == {first: ("K-1", "K-2"), second: ("K-3",)}
    assert [stored_warning.warning for stored_warning in warnings] == [
        CallWarning(
            WarningCode.DEPRECATED_FIELD,
            "Field items[1].code is deprecated: send the key in items[1].codes",
        )
    ]


@pytest.mark.rule("C-03", "C-04", "C-06")
@pytest.mark.parametrize("settings_overrides", [{"profile": "2026"}])
async def test_2026_profile(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    body = {
        "items": [
            {"id": first, "codes": ["K-1", "k" * 257], "slip": "s", "activate_till": DAY},
            {"id": second, "code": "K-3", "codes": ["K-3"], "slip": "s", "activate_till": DAY},
            {"id": first, "codes": ["K-2"], "slip": "s", "activate_till": DAY},
        ]
    }
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        400,
        bad(
            "Value / length of field items[0].codes[1] (257) must be less than or equal to 256",
            "Unrecognized field items[1].code",
        ),
    )
    body["items"][0]["codes"] = ["K-1"]
    del body["items"][1]["code"]
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        400,
        bad(
            "Value of field items[2].id ("
            + str(first)
            + ") repeats items[0].id: send one element per item id"
        ),
    )
    body["items"] = [
        {"id": first, "codes": ["K-1", "K-2"], "slip": "s", "activate_till": DAY},
        body["items"][1],
    ]
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (200, OK)


@pytest.mark.rule("R-012", "OQ-03")
async def test_not_a_digital_order(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await shops.place()
    (item_id,) = item_ids(order)
    response = await client.post(deliver_path(shops, order), json=keys_body((item_id, ["K"])))
    assert (response.status_code, response.json()) == (
        400,
        bad(
            f"Order {order['id']} has delivery type DELIVERY; "
            "keys are accepted only for DIGITAL orders"
        ),
    )


@pytest.mark.rule("OQ-03", "OQ-02", "R-007")
async def test_unknown_items_and_key_counts(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await digital_order(shops)
    first, _second = item_ids(order)
    response = await client.post(
        deliver_path(shops, order), json=keys_body((first, ["K-1"]), (7, ["K-9"]))
    )
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "ITEM_NOT_FOUND",
                f"Item not found: '7' (field items[1].id) is not an item of order {order['id']}",
            ),
            ("BAD_REQUEST", f"Item {first} of order {order['id']} needs 2 keys, 1 given"),
            ("BAD_REQUEST", f"Item {_second} of order {order['id']} needs 1 keys, 0 given"),
        ),
    )


@pytest.mark.rule("R-005", "R-088", "OQ-02")
async def test_five_thousand_keys_of_one_item_in_a_body_near_the_limit(
    app: FastAPI, client: httpx.AsyncClient, shops: Shops
) -> None:
    """A test order's line takes R-005's 5,000 units, so its 5,000 keys can be delivered, in a
    body within 2 KB of R-088's 512 KB."""
    order = await digital_order(shops, counts=(limits.DIGITAL_CODES_MAX,))
    (item_id,) = item_ids(order)
    wanted = limits.REQUEST_BODY_MAX_BYTES - 2048
    around = len(json.dumps(keys_body((item_id, [])), separators=(",", ":")))
    # Each key costs its text, two quotes and a comma; the first keys take a character more
    # until the body has the size wanted.
    count = limits.DIGITAL_CODES_MAX
    width, longer = divmod(wanted - around + 1, count)
    codes = [f"KEY-{n:05d}-".ljust(width - 3 + (n < longer), "x") for n in range(count)]
    content = json.dumps(keys_body((item_id, codes)), separators=(",", ":")).encode()
    assert len(content) == wanted

    response = await client.post(
        deliver_path(shops, order), content=content, headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (200, OK)
    with runtime_of(app).db.read() as conn:
        stored = load_keys(conn, order["id"])
    assert stored is not None
    assert [len(item.batches[0].codes) for item in stored.submission.items] == [5_000]


@pytest.mark.rule("OQ-02")
@pytest.mark.parametrize("settings_overrides", [{"lenient_key_counts": True}])
async def test_lenient_key_counts(client: httpx.AsyncClient, shops: Shops) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    body = keys_body((first, ["K-1", "K-2", "K-extra"]), (second, ["K-3"]))
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (200, OK)


@pytest.mark.rule("OQ-01")
async def test_delivered_order_takes_no_more_keys(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    body = keys_body((first, ["K-1", "K-2"]), (second, ["K-3"]))
    assert (await client.post(deliver_path(shops, order), json=body)).status_code == 200
    await advance(client, runtime_of(app).settings.digital_delivery_delay_seconds, sandbox_headers)
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        400,
        envelope(
            (
                "ORDER_IN_TERMINAL_STATE",
                f"Order is in terminal state: order {order['id']} is DELIVERED",
            )
        ),
    )


@pytest.mark.rule("OQ-01")
async def test_repeats_before_the_email(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    body = keys_body((first, ["K-1", "K-2"]), (second, ["K-3"]))
    for _ in range(2):
        response = await client.post(deliver_path(shops, order), json=body)
        assert (response.status_code, response.json()) == (200, OK)
    replacement = keys_body((first, ["N-1", "N-2"]), (second, ["N-3"]))
    response = await client.post(deliver_path(shops, order), json=replacement)
    assert (response.status_code, response.json()) == (200, OK)
    runtime = runtime_of(app)
    with runtime.db.read() as conn:
        stored = load_keys(conn, order["id"])
    assert stored is not None
    assert (stored.accepted_calls, stored.submission.keys_by_item()) == (
        2,
        {first: ("N-1", "N-2"), second: ("N-3",)},
    )
    await advance(client, runtime.settings.digital_delivery_delay_seconds, sandbox_headers)
    emails = [
        p for kind, _, p in await outbox(client, sandbox_headers, order["id"]) if kind == "email"
    ]
    assert [("N-1" in email["text"], "K-1" in email["text"]) for email in emails] == [(True, False)]


@pytest.mark.rule("R-009", "OQ-04")
async def test_late_keys_are_accepted_and_flagged(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops, wall: FrozenWall
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    wall.moment += limits.DIGITAL_CODES_WINDOW + timedelta(seconds=1)
    body = keys_body((first, ["K-1", "K-2"]), (second, ["K-3"]))
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (200, OK)
    with runtime_of(app).db.read() as conn:
        stored = load_keys(conn, order["id"])
    assert stored is not None
    assert stored.late_by == timedelta(seconds=1)


@pytest.mark.rule("R-009")
async def test_keys_at_the_deadline_are_on_time(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops, wall: FrozenWall
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    wall.moment += limits.DIGITAL_CODES_WINDOW
    body = keys_body((first, ["K-1", "K-2"]), (second, ["K-3"]))
    assert (await client.post(deliver_path(shops, order), json=body)).status_code == 200
    with runtime_of(app).db.read() as conn:
        stored = load_keys(conn, order["id"])
    assert stored is not None
    assert stored.late_by is None


@pytest.mark.rule("OQ-04")
@pytest.mark.parametrize("settings_overrides", [{"cancel_late_digital": True}])
async def test_late_keys_cancel_the_order_when_switched_on(
    client: httpx.AsyncClient,
    app: FastAPI,
    shops: Shops,
    wall: FrozenWall,
    sandbox_headers: dict[str, str],
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    wall.moment += limits.DIGITAL_CODES_WINDOW + timedelta(minutes=2)
    body = keys_body((first, ["K-1", "K-2"]), (second, ["K-3"]))
    response = await client.post(deliver_path(shops, order), json=body)
    assert (response.status_code, response.json()) == (
        400,
        bad(
            f"Order {order['id']} was cancelled (SHOP_FAILED): the keys came 0:02:00 after the "
            "30-minute window that opened when the order entered PROCESSING"
        ),
    )
    view = (await client.get(shops.path(order["id"]))).json()["order"]
    assert (view["status"], view["substatus"]) == ("CANCELLED", "SHOP_FAILED")
    with runtime_of(app).db.read() as conn:
        assert load_keys(conn, order["id"]) is None
    cancelled_at = (wall.moment + runtime_of(app).clock.offset).isoformat().replace("+00:00", "Z")
    assert await outbox(client, sandbox_headers, order["id"]) == [
        created(shops, order),
        (
            "notification",
            "NOT_SENT",
            status_updated(shops, order, "CANCELLED", "SHOP_FAILED", cancelled_at),
        ),
        (
            "notification",
            "NOT_SENT",
            {
                "notificationType": "ORDER_CANCELLED",
                "orderId": order["id"],
                "campaignId": shops.mine.campaign_id,
                "items": [{"offerId": "game-1", "count": 2}, {"offerId": "game-2", "count": 1}],
                "cancelledAt": cancelled_at,
            },
        ),
    ]


@pytest.mark.rule("C-07")
@pytest.mark.parametrize("settings_overrides", [{"email_failure": True}])
async def test_email_failure_falls_back_to_the_chat(
    client: httpx.AsyncClient,
    app: FastAPI,
    shops: Shops,
    wall: FrozenWall,
    sandbox_headers: dict[str, str],
) -> None:
    order = await digital_order(shops, counts=(1,))
    (item_id,) = item_ids(order)
    assert (
        await client.post(deliver_path(shops, order), json=keys_body((item_id, ["K-1"])))
    ).status_code == 200
    runtime = runtime_of(app)
    await advance(client, runtime.settings.digital_delivery_delay_seconds, sandbox_headers)
    messages = await outbox(client, sandbox_headers, order["id"])
    assert [(kind, p.get("channel"), p.get("delivered")) for kind, _, p in messages] == [
        ("notification", None, None),
        ("email", "email", False),
        ("email", "chat", True),
        ("notification", None, None),
    ]
    view = (await client.get(shops.path(order["id"]))).json()["order"]
    assert (view["status"], view["substatus"]) == ("DELIVERED", "DELIVERY_SERVICE_DELIVERED")


# Eight calls at once on one key: lift the parallel cap so all of them reach the order.
@pytest.mark.rule("OQ-01", "OQ-05")
@pytest.mark.parametrize("settings_overrides", [{"parallel_limit": 8}])
async def test_simultaneous_identical_calls_have_one_effect(
    client: httpx.AsyncClient, app: FastAPI, shops: Shops, sandbox_headers: dict[str, str]
) -> None:
    order = await digital_order(shops)
    first, second = item_ids(order)
    body = keys_body((first, ["K-1", "K-2"]), (second, ["K-3"]))
    responses = await asyncio.gather(
        *(client.post(deliver_path(shops, order), json=body) for _ in range(8))
    )
    assert [(r.status_code, r.json()) for r in responses] == [(200, OK)] * 8
    runtime = runtime_of(app)
    with runtime.db.read() as conn:
        stored = load_keys(conn, order["id"])
    assert stored is not None
    assert stored.accepted_calls == 1
    await advance(client, runtime.settings.digital_delivery_delay_seconds, sandbox_headers)
    messages = await outbox(client, sandbox_headers, order["id"])
    assert [(kind, p.get("notificationType")) for kind, _, p in messages] == [
        ("notification", "ORDER_CREATED"),
        ("email", None),
        ("notification", "ORDER_STATUS_UPDATED"),
    ]
    view = (await client.get(shops.path(order["id"]))).json()["order"]
    assert (view["status"], view["substatus"]) == ("DELIVERED", "DELIVERY_SERVICE_DELIVERED")
