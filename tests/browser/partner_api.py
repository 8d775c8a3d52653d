"""What the browser tests do outside the browser, as a seller's program and the sandbox's own
API would: place a test order and send its keys through the Partner API."""

from __future__ import annotations

from typing import Any

import httpx

KEYS_ACTIVATE_TILL = "2030-12-31"


def place_test_order(
    base_url: str,
    sandbox_token: str,
    campaign_id: int,
    *,
    items: list[dict[str, Any]],
    delivery_type: str = "DIGITAL",
) -> dict[str, Any]:
    """A test order made through ``POST /sandbox/campaigns/{id}/orders``: its OrderDTO."""
    placed = httpx.post(
        f"{base_url}/sandbox/campaigns/{campaign_id}/orders",
        json={"items": items, "delivery": {"type": delivery_type}},
        headers={"Sandbox-Token": sandbox_token},
        timeout=10,
    )
    assert placed.status_code == 201, placed.text
    order: dict[str, Any] = placed.json()["order"]
    return order


def get_order(base_url: str, api_key: str, campaign_id: int, order_id: int) -> dict[str, Any]:
    """The order as the Partner API's getOrder gives it."""
    answer = httpx.get(
        f"{base_url}/v2/campaigns/{campaign_id}/orders/{order_id}",
        headers={"Api-Key": api_key},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    order: dict[str, Any] = answer.json()["order"]
    return order


def deliver_keys_answer(
    base_url: str,
    api_key: str,
    campaign_id: int,
    order_id: int,
    item_id: int,
    codes: list[str],
    *,
    slip: str,
) -> httpx.Response:
    """deliverDigitalGoods with one item's keys: the Market's answer, whatever it is."""
    return httpx.post(
        f"{base_url}/v2/campaigns/{campaign_id}/orders/{order_id}/deliverDigitalGoods",
        json={
            "items": [
                {"id": item_id, "codes": codes, "slip": slip, "activate_till": KEYS_ACTIVATE_TILL}
            ]
        },
        headers={"Api-Key": api_key},
        timeout=10,
    )


def deliver_keys(
    base_url: str,
    api_key: str,
    campaign_id: int,
    order_id: int,
    item_id: int,
    codes: list[str],
    *,
    slip: str,
) -> None:
    """deliverDigitalGoods with one item's keys, which the Market accepts: ``{"status": "OK"}``."""
    answer = deliver_keys_answer(
        base_url, api_key, campaign_id, order_id, item_id, codes, slip=slip
    )
    assert (answer.status_code, answer.json()) == (200, {"status": "OK"}), answer.text
