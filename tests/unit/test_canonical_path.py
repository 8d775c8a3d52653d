"""R-072: paths with and without /v2 and with a .json suffix name the same resource."""

from __future__ import annotations

import pytest

from dbskit.market.paths import canonical_path


@pytest.mark.rule("R-072")
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/v2/campaigns/1/orders/2", "/campaigns/1/orders/2"),
        ("/campaigns/1/orders/2", "/campaigns/1/orders/2"),
        ("/v2/campaigns/1/orders/2.json", "/campaigns/1/orders/2"),
        ("/campaigns/1/orders.json", "/campaigns/1/orders"),
        ("/v2/delivery/services.json", "/delivery/services"),
        ("/v2", "/v2"),
        ("/v22/delivery/services", "/v22/delivery/services"),
        ("/sandbox/clock.json", "/sandbox/clock.json"),
        ("/store/cart", "/store/cart"),
        ("/v2/store/cart", "/v2/store/cart"),
        ("/store/cart.json", "/store/cart.json"),
        ("/v2/sandbox/clock", "/v2/sandbox/clock"),
        ("/v2/storefront.json", "/storefront"),
    ],
)
def test_canonical_path(given: str, expected: str) -> None:
    assert canonical_path(given) == expected
