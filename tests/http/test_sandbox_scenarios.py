"""POST /sandbox/scenarios: a sandbox set up from one file, all or nothing.

The example files of ``examples/`` are loaded as written and the state they make is read back
through the Partner API (with the key the file made) and /sandbox.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbskit.contract import limits
from dbskit.contract.errors import Messages
from tests.conftest import envelope
from tests.factories import SANDBOX
from tests.orders_support import FROZEN_AT, FrozenWall, Shops

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
YAML = {**SANDBOX, "Content-Type": "application/yaml"}
SCENARIOS = "/sandbox/scenarios"
DECISION = "Scenario files"
ITEM = {"offerId": "kettle-1", "count": 1, "price": 990}


async def load(client: httpx.AsyncClient, text: str, headers: dict[str, str] = YAML) -> Any:
    response = await client.post(SCENARIOS, content=text.encode(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def load_example(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    answer = await load(client, (EXAMPLES / name).read_text(encoding="utf-8"))
    names: dict[str, Any] = answer["names"]
    return names


async def refused(client: httpx.AsyncClient, text: str, headers: dict[str, str] = YAML) -> Any:
    response = await client.post(SCENARIOS, content=text.encode(), headers=headers)
    assert response.status_code == 400, response.text
    return response.json()


async def partner_order(client: httpx.AsyncClient, loaded: dict[str, Any], key: str) -> Any:
    response = await client.get(
        f"/v2/campaigns/{loaded['campaignId']}/orders/{loaded['orderId']}",
        headers={"Api-Key": key},
    )
    assert response.status_code == 200, response.text
    return response.json()["order"]


async def outbox_types(client: httpx.AsyncClient, campaign_id: int) -> list[str]:
    response = await client.get(
        "/sandbox/outbox", params={"campaignId": campaign_id}, headers=SANDBOX
    )
    assert response.status_code == 200
    return [message["payload"]["notificationType"] for message in response.json()["messages"]]


# --- The examples ---------------------------------------------------------------------------


@pytest.mark.rule("R-105", "R-107")
@pytest.mark.decision(DECISION)
async def test_the_digital_example(client: httpx.AsyncClient) -> None:
    names = await load_example(client, "digital-order.yaml")
    business, store, key, order = (
        names[n] for n in ("games", "games-store", "games-key", "key-order")
    )
    assert (business["kind"], store["kind"], key["kind"], order["kind"]) == (
        "business",
        "campaign",
        "key",
        "order",
    )
    assert store["businessId"] == key["businessId"] == order["businessId"] == business["id"]
    assert order["campaignId"] == store["id"] == store["campaignId"]
    shown = await partner_order(client, order, key["apiKey"])
    assert (shown["id"], shown["status"], shown["substatus"], shown["fake"]) == (
        order["id"],
        "PROCESSING",
        "STARTED",
        True,
    )
    assert shown["delivery"]["type"] == "DIGITAL"
    assert [(item["offerId"], item["count"]) for item in shown["items"]] == [("game-key-north", 2)]
    assert await outbox_types(client, store["id"]) == []  # no notify: true


@pytest.mark.rule("R-025", "R-027")
@pytest.mark.decision(DECISION)
async def test_the_marked_example_needs_its_codes(client: httpx.AsyncClient) -> None:
    names = await load_example(client, "marked-order.yaml")
    order, key = names["marked-order"], names["shoes-key"]["apiKey"]
    shown = await partner_order(client, order, key)
    assert [item.get("requiredInstanceTypes") for item in shown["items"]] == [["CIS"], None]
    moved = await client.put(
        f"/v2/campaigns/{order['campaignId']}/orders/{order['id']}/status",
        json={"order": {"status": "PROCESSING", "substatus": "READY_TO_SHIP"}},
        headers={"Api-Key": key},
    )
    assert moved.status_code == 400
    assert "PUT identifiers" in moved.json()["errors"][0]["message"]


@pytest.mark.rule("R-107")
@pytest.mark.decision(DECISION)
async def test_the_pickup_example(client: httpx.AsyncClient) -> None:
    names = await load_example(client, "pickup-order.yaml")
    order = names["pickup-order"]
    assert (order["status"], order["substatus"]) == ("PICKUP", "PICKUP_SERVICE_RECEIVED")
    shown = await partner_order(client, order, names["kettles-key"]["apiKey"])
    assert (shown["status"], shown["substatus"], shown["delivery"]["type"]) == (
        "PICKUP",
        "PICKUP_SERVICE_RECEIVED",
        "PICKUP",
    )


@pytest.mark.rule("R-102", "R-109")
@pytest.mark.decision(DECISION)
async def test_the_cancellation_request_example(client: httpx.AsyncClient) -> None:
    names = await load_example(client, "cancellation-request.yaml")
    request = names["buyer-cancels"]
    assert request["kind"] == "cancellationRequest"
    assert request["id"] == request["orderId"] == names["delivered-soon"]["id"]
    assert (request["status"], request["cancelRequested"]) == ("DELIVERY", True)
    shown = await partner_order(client, request, names["lamps-key"]["apiKey"])
    assert (shown["status"], shown["cancelRequested"]) == ("DELIVERY", True)
    # The file asks for notify: true.
    assert sorted(await outbox_types(client, request["campaignId"])) == [
        "ORDER_CANCELLATION_REQUEST",
        "ORDER_CREATED",
    ]


# --- Names, formats and the answer ----------------------------------------------------------


@pytest.mark.rule("R-107")
@pytest.mark.decision(DECISION)
async def test_an_existing_campaign_by_id_and_the_answer_whole(
    shops: Shops, wall: FrozenWall
) -> None:
    body = {
        "entries": [
            {"name": "mine", "order": {"campaignId": shops.mine.campaign_id, "items": [ITEM],
                                       "delivery": {"type": "DELIVERY"}}},
            {"name": "oauth", "key": {"businessId": shops.mine.business_id, "type": "OAUTH"}},
        ]
    }  # fmt: skip
    answer = await load(
        shops.client, json.dumps(body), {**SANDBOX, "Content-Type": "application/json"}
    )
    order_id = answer["names"]["mine"]["id"]
    oauth = answer["names"]["oauth"]
    assert answer == {
        "now": "2030-03-02T06:00:00Z",
        "notify": False,
        "names": {
            "mine": {
                "kind": "order",
                "id": order_id,
                "businessId": shops.mine.business_id,
                "campaignId": shops.mine.campaign_id,
                "orderId": order_id,
                "status": "PROCESSING",
                "substatus": "STARTED",
            },
            "oauth": {
                "kind": "key",
                "id": oauth["id"],
                "businessId": shops.mine.business_id,
                "type": "OAUTH",
                "oauthToken": oauth["oauthToken"],
            },
        },
    }
    shown = await shops.client.get(shops.path(order_id))  # as the seller's own key sees it
    assert shown.json()["order"]["status"] == "PROCESSING"


@pytest.mark.decision(DECISION)
async def test_toml_and_the_clock(shops: Shops, wall: FrozenWall) -> None:
    toml = f"""
[clock]
advanceSeconds = 3600

[[entries]]
name = "later"
[entries.order]
campaignId = {shops.mine.campaign_id}
items = [{{ offerId = "kettle-1", count = 1, price = 990 }}]
delivery = {{ type = "POST" }}
"""
    answer = await load(shops.client, toml, {**SANDBOX, "Content-Type": "application/toml"})
    assert answer["now"] == "2030-03-02T07:00:00Z"
    clock = await shops.client.get("/sandbox/clock", headers=SANDBOX)
    assert clock.json() == {"now": "2030-03-02T07:00:00Z"}
    shown = await shops.client.get(shops.path(answer["names"]["later"]["id"]))
    assert shown.json()["order"]["creationDate"] == "02-03-2030 10:00:00"  # Moscow time


@pytest.mark.decision(DECISION)
async def test_the_clock_to_a_moment(shops: Shops, wall: FrozenWall) -> None:
    text = """
clock: {now: 2030-03-05T12:00:00+03:00}
entries:
  - {name: acme, business: {}}
"""
    answer = await load(shops.client, text)
    assert answer["now"] == "2030-03-05T09:00:00Z"
    clock = await shops.client.get("/sandbox/clock", headers=SANDBOX)
    assert clock.json() == {"now": "2030-03-05T09:00:00Z"}


@pytest.mark.rule("R-109")
@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(("notify", "sent"), [(False, []), (True, ["ORDER_CREATED"])])
async def test_notifications_only_when_asked(
    client: httpx.AsyncClient, notify: bool, sent: list[str]
) -> None:
    text = f"""
notify: {str(notify).lower()}
entries:
  - name: store
    campaign: {{notificationUrl: "http://127.0.0.1:9/store"}}
  - name: order
    order:
      campaign: store
      items: [{{offerId: kettle-1, count: 1, price: 990}}]
      delivery: {{type: DELIVERY}}
"""
    names = (await load(client, text))["names"]
    assert await outbox_types(client, names["store"]["id"]) == sent


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("text", "messages"),
    [
        pytest.param(
            "entries:\n  - {name: a, business: {}}\n  - {name: a, business: {}}\n",
            ["Entry entries[1] (a): Value of field name (a) is already the name of entries[0]"],
            id="duplicate-name",
        ),
        pytest.param(
            "entries:\n  - {name: k, key: {business: acme, scopes: [pricing]}}\n"
            "  - {name: acme, business: {}}\n",
            ["Entry entries[0] (k): Value of field key.business (acme) names no earlier entry"],
            id="reference-forward",
        ),
        pytest.param(
            "entries:\n  - {name: acme, business: {}}\n"
            "  - {name: o, order: {campaign: acme, items: [{offerId: a, count: 1, price: 1}],"
            " delivery: {type: POST}}}\n",
            [
                "Entry entries[1] (o): Value of field order.campaign (acme) names a business "
                "entry, not a campaign"
            ],
            id="reference-of-another-kind",
        ),
        pytest.param(
            "entries:\n  - {name: o, order: {campaignId: 1, items: [], delivery: {type: POST}}}\n",
            ["Entry entries[0] (o): Collection of field order.items must not be empty"],
            id="invalid-field",
        ),
        pytest.param(
            "entries:\n  - {name: k, key: {businessId: 1}}\n",
            [
                "Entry entries[0] (k): Missing field scopes: an API_KEY token needs at least "
                "one scope"
            ],
            id="the-tokens-own-message",
        ),
        pytest.param(
            "entries:\n  - {name: x}\n",
            [
                "Entry entries[0] (x): Exactly one of fields business, campaign, key, order, "
                "cancellationRequest is required"
            ],
            id="no-kind",
        ),
        pytest.param(
            "entries:\n  - business: {}\n",
            ["Entry entries[0] (no name): Missing field name"],
            id="no-name",
        ),
        pytest.param("notify: true\n", ["Missing field entries"], id="no-entries"),
        pytest.param(
            "entries:\n  - &a {name: a, business: {}}\n  - *a\n",
            [
                'YAML: anchors and aliases (*name) are not accepted in "<unicode string>", '
                "line 3, column 5: - *a ^"
            ],
            id="yaml-alias",
        ),
        pytest.param(
            "clock: {now: 2000-01-01T00:00:00Z}\nentries:\n  - {name: a, business: {}}\n",
            [
                "Field clock: The sandbox clock only moves forward: 2000-01-01T00:00:00+00:00 "
                "is before 2030-03-02T06:00:00+00:00"
            ],
            id="clock-backwards",
        ),
    ],
)
async def test_refusals_name_the_entry_and_the_field(
    shops: Shops, wall: FrozenWall, text: str, messages: list[str]
) -> None:
    body = await refused(shops.client, text)
    assert body == envelope(*(("BAD_REQUEST", message) for message in messages))


@pytest.mark.decision(DECISION)
async def test_a_refusal_while_writing_names_the_entry(shops: Shops) -> None:
    text = f"""
entries:
  - name: store
    campaign: {{}}
  - name: placed
    order:
      campaignId: {shops.mine.campaign_id}
      items: [{{offerId: kettle-1, count: 1, price: 990}}]
      delivery: {{type: DIGITAL}}
      status: DELIVERY
"""
    body = await refused(shops.client, text)
    assert body == envelope(
        (
            "BAD_REQUEST",
            "Entry entries[1] (placed): Value of fields status and substatus "
            "(DELIVERY/DELIVERY_SERVICE_RECEIVED) is not a state a DIGITAL order can be in",
        )
    )


@pytest.mark.rule("R-102")
@pytest.mark.decision(DECISION)
async def test_a_cancellation_request_needs_an_order_in_delivery(shops: Shops) -> None:
    text = f"""
entries:
  - name: placed
    order:
      campaignId: {shops.mine.campaign_id}
      items: [{{offerId: kettle-1, count: 1, price: 990}}]
      delivery: {{type: DELIVERY}}
  - name: cancel
    cancellationRequest: {{order: placed}}
"""
    body = await refused(shops.client, text)
    assert body == envelope(
        (
            "BAD_REQUEST",
            "Entry entries[1] (cancel): Value of field cancellationRequest.order (placed) names "
            "an order in PROCESSING/STARTED: a buyer asks to cancel (R-102) only an order in "
            "DELIVERY or PICKUP; give the order entry status CANCELLED to cancel it",
        )
    )


@pytest.mark.decision(DECISION)
async def test_an_unknown_campaign_is_404_naming_the_entry(client: httpx.AsyncClient) -> None:
    text = (
        "entries:\n  - {name: o, order: {campaignId: 99999999, items: [{offerId: a, count: 1, "
        "price: 1}], delivery: {type: POST}}}\n"
    )
    response = await client.post(SCENARIOS, content=text.encode(), headers=YAML)
    assert response.status_code == 404
    assert response.json() == envelope(
        ("NOT_FOUND", "Entry entries[0] (o): Campaign not found: '99999999'")
    )


@pytest.mark.decision(DECISION)
async def test_a_failed_load_leaves_nothing_behind(shops: Shops, wall: FrozenWall) -> None:
    before = await shops.client.post("/sandbox/campaigns", json={}, headers=SANDBOX)
    last_campaign = before.json()["campaignId"]
    text = f"""
notify: true
clock: {{advanceSeconds: 86400}}
entries:
  - name: store
    campaign: {{notificationUrl: "http://127.0.0.1:9/store"}}
  - name: placed
    order:
      campaignId: {shops.mine.campaign_id}
      items: [{{offerId: kettle-1, count: 1, price: 990}}]
      delivery: {{type: DELIVERY}}
  - name: cancel
    cancellationRequest: {{order: placed}}
"""
    await refused(shops.client, text)
    made = await shops.client.get(f"/sandbox/campaigns/{last_campaign + 1}", headers=SANDBOX)
    assert made.status_code == 404
    orders = await shops.client.get(shops.orders, params={"fake": "true"})
    assert orders.json()["orders"] == []
    assert await outbox_types(shops.client, shops.mine.campaign_id) == []
    clock = await shops.client.get("/sandbox/clock", headers=SANDBOX)
    assert clock.json() == {"now": FROZEN_AT.isoformat().replace("+00:00", "Z")}


@pytest.mark.decision(DECISION)
@pytest.mark.parametrize(
    ("content_type", "status", "message"),
    [
        ("text/plain", 415, "Content type 'text/plain' not supported"),
        ("yaml", 415, "Unknown content-type: 'yaml'"),
    ],
)
async def test_unsupported_content_types(
    client: httpx.AsyncClient, content_type: str, status: int, message: str
) -> None:
    response = await client.post(
        SCENARIOS,
        content=b"entries: []",
        headers={**SANDBOX, "Content-Type": content_type},
    )
    assert response.status_code == status
    assert response.json()["errors"][0]["message"] == message


@pytest.mark.rule("R-088")
@pytest.mark.decision(DECISION)
async def test_the_body_limit_of_every_sandbox_call(client: httpx.AsyncClient) -> None:
    padding = "#" * limits.REQUEST_BODY_MAX_BYTES
    text = f"{padding}\nentries:\n  - {{name: a, business: {{}}}}\n"
    response = await client.post(SCENARIOS, content=text.encode(), headers=YAML)
    assert response.status_code == 400
    assert response.json() == envelope(
        ("BAD_REQUEST", Messages.REQUEST_TOO_BIG.format(limit=limits.REQUEST_BODY_MAX_BYTES))
    )


@pytest.mark.decision(DECISION)
async def test_without_a_content_type_the_file_is_yaml(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SCENARIOS, content=b"entries:\n  - {name: acme, business: {name: Acme}}\n", headers=SANDBOX
    )
    assert response.status_code == 201
    assert response.json()["names"]["acme"]["kind"] == "business"
