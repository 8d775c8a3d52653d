"""``dbskit serve`` mounts the store at /store beside the Market (R-037: base URL + /cart)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.cart_factories import MOSCOW, cart_body, line
from tests.conftest import envelope
from tests.http.shop.conftest import PUSH_TOKEN, store_error


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"store_token": PUSH_TOKEN}


@pytest.mark.rule("R-037")
@pytest.mark.decision("POST /cart")
async def test_cart_under_store(client: httpx.AsyncClient) -> None:
    body = cart_body(MOSCOW, line("phone-nova-x1"))
    response = await client.post("/store/cart", json=body, headers={"Authorization": PUSH_TOKEN})
    assert response.status_code == 200
    assert response.json()["cart"]["items"] == [
        {
            "feedId": 200100,
            "offerId": "phone-nova-x1",
            "count": 1,
            "delivery": True,
            "sellerInn": "7712345671",
        }
    ]


@pytest.mark.rule("R-039", "R-071", "OQ-18")
@pytest.mark.decision("POST /cart")
async def test_store_errors_keep_the_store_shape_and_market_errors_the_market_shape(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post("/store/cart", json={})
    assert refused.status_code == 403
    assert refused.json() == store_error(
        "FORBIDDEN", "Authorization header is missing or does not carry the push token"
    )
    unknown_store_path = await client.get("/store/nothing")
    assert unknown_store_path.json() == store_error(
        "NOT_FOUND", "Resource not found: '/store/nothing'"
    )
    market = await client.get("/v2/store/cart")
    assert market.status_code == 404
    assert market.json() == envelope(("NOT_FOUND", "Resource not found: '/v2/store/cart'"))
