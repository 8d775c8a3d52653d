"""Helpers for the order tests: a frozen sandbox clock, placing test orders, expected bodies.

Expected bodies are written from the documented defaults (docs/decisions.md, "Orders"), not from
the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.market.runtime import Runtime
from tests.factories import Seller, create_seller

# 09:00 in Moscow, the Market's time zone for OrderDTO times.
FROZEN_AT = datetime(2030, 3, 2, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Shops:
    """Two sellers, each with a campaign and a full-access key; ``client`` speaks as ``mine``."""

    client: httpx.AsyncClient
    sandbox_headers: dict[str, str]
    mine: Seller
    other: Seller

    @property
    def orders(self) -> str:
        return f"/v2/campaigns/{self.mine.campaign_id}/orders"

    @property
    def sandbox_orders(self) -> str:
        return f"/sandbox/campaigns/{self.mine.campaign_id}/orders"

    def path(self, order_id: int | str, campaign_id: int | None = None) -> str:
        return f"/v2/campaigns/{campaign_id or self.mine.campaign_id}/orders/{order_id}"

    async def place(self, campaign_id: int | None = None, **body: Any) -> dict[str, Any]:
        request = {
            "items": [{"offerId": "kettle-1", "count": 1, "price": 990}],
            "delivery": {"type": "DELIVERY"},
        }
        request.update(body)
        response = await self.client.post(
            f"/sandbox/campaigns/{campaign_id or self.mine.campaign_id}/orders",
            json=request,
            headers=self.sandbox_headers,
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()["order"]
        return order

    async def move(
        self, order_id: int, status: str, substatus: str | None = None
    ) -> httpx.Response:
        body = (
            {"status": status} if substatus is None else {"status": status, "substatus": substatus}
        )
        return await self.client.post(
            f"{self.sandbox_orders}/{order_id}/status", json=body, headers=self.sandbox_headers
        )


async def make_shops(client: httpx.AsyncClient, sandbox_headers: dict[str, str]) -> Shops:
    mine, other = await create_seller(client), await create_seller(client)
    client.headers.update(mine.headers)
    return Shops(client, sandbox_headers, mine, other)


class FrozenWall:
    """Wall time that moves only when a test says so (the sandbox offset still applies)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def freeze_clock(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> FrozenWall:
    runtime: Runtime = app.state.runtime
    wall = FrozenWall(FROZEN_AT - runtime.clock.offset)
    monkeypatch.setattr(runtime.clock, "_wall", wall)
    return wall


def moscow(moment: datetime) -> str:
    return (moment + timedelta(hours=3)).strftime("%d-%m-%Y %H:%M:%S")


def day(moment: datetime, days: int = 0) -> str:
    return (moment + timedelta(hours=3, days=days)).strftime("%d-%m-%Y")


def expected_order(
    order: dict[str, Any],
    *,
    status: str = "PROCESSING",
    substatus: str = "STARTED",
    created: datetime = FROZEN_AT,
    updated: datetime | None = None,
    items: list[dict[str, Any]] | None = None,
    delivery_type: str = "DELIVERY",
    buyer_type: str = "PERSON",
    real_delivery_date: str | None = None,
    cancel_requested: bool = False,
    delivery_total: float = 0.0,
    service: tuple[int, str] = (99, "Собственная служба доставки"),
    region: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OrderDTO of a test order placed at ``created`` with the documented defaults.

    Ids come from ``order`` (they are random); everything else is stated here.
    """
    if items is None:
        items = [
            {
                "offerId": "kettle-1",
                "offerName": "kettle-1",
                "price": 990.0,
                "buyerPrice": 990.0,
                "buyerPriceBeforeDiscount": 990.0,
                "count": 1,
                "vat": "NO_VAT",
            }
        ]
    items = [dict(item, id=sent["id"]) for item, sent in zip(items, order["items"], strict=True)]
    total = sum(item["price"] * item["count"] for item in items)
    digital = delivery_type == "DIGITAL"
    dates: dict[str, Any] = {
        "fromDate": day(created, 0 if digital else 2),
        "toDate": day(created, 0 if digital else 2),
    }
    if real_delivery_date is not None:
        dates["realDeliveryDate"] = real_delivery_date
    delivery: dict[str, Any] = {
        "type": delivery_type,
        "serviceName": service[1],
        "deliveryPartnerType": "SHOP",
        "dates": dates,
        "region": region or {"id": 213, "name": "Москва", "type": "CITY"},
        "deliveryServiceId": service[0],
        "dispatchType": "SHOP_OUTLET" if delivery_type == "PICKUP" else "BUYER",
        "estimated": False,
    }
    if not digital:
        delivery["shipments"] = [{"shipmentDate": day(created, 1)}]
    return {
        "id": order["id"],
        "status": status,
        "substatus": substatus,
        "creationDate": moscow(created),
        "updatedAt": moscow(updated or created),
        "currency": "RUR",
        "itemsTotal": total,
        "deliveryTotal": delivery_total,
        "buyerItemsTotalBeforeDiscount": total,
        "paymentType": "POSTPAID",
        "paymentMethod": "CASH_ON_DELIVERY",
        "fake": True,
        "items": items,
        "delivery": delivery,
        "buyer": {"type": buyer_type},
        "taxSystem": "OSN",
        "cancelRequested": cancel_requested,
    }
