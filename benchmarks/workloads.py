"""The workloads, as data. Adding one is a few lines in ``WORKLOADS``.

A workload names the request wrk sends to dbskit (and, when the spec has a matching operation, to
Prism), the server it loads (the Market side, or the store service with a generated data set),
the status that counts as a good answer, and optionally a ``setup`` that prepares fresh data on
the running server through HTTP (e.g. the /sandbox endpoints) before each load run.

``setup`` returns request variants: each may carry its own token (sent in the call's
``token_header``), path and body, and bench.lua spreads them over the connections. Every
``SEQUENCE_MARKER`` in a path or body becomes a number no other request of the run has, so a
method whose repeat with the same payload changes nothing still writes on every call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from benchmarks import method_setups, order_list_setups, store_setup
from benchmarks.calls import Call, Prepared, SetupContext, Variant

__all__ = [
    "BARE",
    "BARE_POSTGRES",
    "BARE_POSTGRES_LABEL",
    "BARE_POSTGRES_TARGET",
    "PRISM_READY",
    "WORKLOADS",
    "Call",
    "Prepared",
    "SetupContext",
    "Variant",
]

Setup = Callable[[SetupContext], Prepared]


@dataclass(frozen=True)
class Workload:
    name: str
    measures: str  # one line for the results table and docs/benchmarks.md
    dbskit: Call
    prism: Call | None = None  # the same operation on Prism, when the spec has it
    setup: Setup | None = None
    # "market": `dbskit serve`; "store": `dbskit store serve` with the generated large store.
    server: Literal["market", "store"] = "market"
    # Connection counts this workload runs at instead of --connections (e.g. one for a body so
    # large that a few connections would only queue behind each other).
    connections: tuple[int, ...] | None = None


# The bare reference answers this one route (benchmarks/bare.py); every workload is compared to it.
BARE = Call(method="GET", path="/", expected_status=200)
# The bare PostgreSQL reference (bare_postgres.py), with a delivery/track body.
BARE_POSTGRES = Call(
    method="POST",
    path="/write",
    expected_status=200,
    headers={"Content-Type": "application/json"},
    body='{"trackCode":"RA123456789RU","deliveryServiceId":51}',
)
BARE_POSTGRES_LABEL = "POST /write (bare, 2 RT)"
BARE_POSTGRES_TARGET = "bare-pg"

_PRISM_KEY = {"Api-Key": "benchmark"}
_JSON = {"Content-Type": "application/json"}
# Prism answers the spec's example for any ids; the same paths with placeholder ids.
_PRISM_ORDER = "/v2/campaigns/21000001/orders/52000000001"


def _prism(method: str, path: str, body: str = "") -> Call:
    headers = {**_PRISM_KEY, **_JSON} if body else dict(_PRISM_KEY)
    return Call(method=method, path=path, expected_status=200, headers=headers, body=body)


def _order_method(
    name: str,
    measures: str,
    method: str,
    operation: str,
    setup: Setup,
    body: str = "",
    *,
    connections: tuple[int, ...] | None = None,
) -> Workload:
    """A Partner API method on an order. Every variant of the setup carries its key, the path of
    its own order and its body; Prism gets ``body`` on a placeholder order."""
    headers = _JSON if body else {}
    return Workload(
        name=name,
        measures=measures,
        dbskit=Call(method=method, headers=headers, token_header="Api-Key"),
        prism=_prism(method, _PRISM_ORDER + operation, body),
        setup=setup,
        connections=connections,
    )


# Prism has no unknown-path answer worth comparing: its figure beside the 404 is a real method of
# the spec, which is also how the harness sees that Prism is ready.
PRISM_READY = _prism("GET", "/v2/delivery/services")


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        name="404-envelope",
        measures="an unknown Partner API path answered with the 404 error envelope",
        dbskit=Call(method="GET", path="/v2/no-such-method", expected_status=404),
        prism=PRISM_READY,
    ),
    Workload(
        name="delivery-services",
        measures="GET v2/delivery/services: the cheapest authenticated call (auth, scopes, limiter,"
        " query log)",
        dbskit=Call(method="GET", path="/v2/delivery/services", token_header="Api-Key"),
        prism=PRISM_READY,
        setup=method_setups.keys_setup,
    ),
    _order_method(
        "get-order",
        "GET order: a test order read with auth, limiter and query log on",
        "GET",
        "",
        method_setups.get_order_setup,
    ),
    _order_method(
        "deliver-digital-goods",
        "deliverDigitalGoods: new keys for a DIGITAL order in PROCESSING, stored",
        "POST",
        "/deliverDigitalGoods",
        method_setups.deliver_digital_goods_setup,
        method_setups.prism_digital_goods_body(),
    ),
    _order_method(
        "deliver-digital-goods-512k",
        "deliverDigitalGoods with a body just under 512 KB (tens of thousands of keys)",
        "POST",
        "/deliverDigitalGoods",
        method_setups.large_digital_goods_setup,
        method_setups.prism_large_digital_goods_body(),
        connections=(1,),
    ),
    Workload(
        name="get-orders-100k",
        measures="getOrders: pages of 50 of 100,000 stored orders, 35 filter sets, each through its"
        " page tokens",
        dbskit=Call(method="GET", token_header="Api-Key"),
        prism=_prism("GET", "/v2/campaigns/21000001/orders"),
        setup=order_list_setups.get_orders_setup,
    ),
    Workload(
        name="get-orders-100k-numbered",
        measures="getOrders: numbered pages of 50 of 100,000 stored orders, each with the count of"
        " every order its filters match",
        dbskit=Call(method="GET", token_header="Api-Key"),
        prism=_prism("GET", "/v2/campaigns/21000001/orders"),
        setup=order_list_setups.get_orders_numbered_setup,
    ),
    Workload(
        name="business-orders-100k",
        measures="getBusinessOrders: pages of 50 of 100,000 stored orders, 40 filter sets",
        dbskit=Call(method="POST", headers=_JSON, token_header="Api-Key"),
        prism=_prism("POST", "/v1/businesses/10000001/orders?limit=50", "{}"),
        setup=order_list_setups.business_orders_setup,
    ),
    _order_method(
        "deliver-digital-goods-5000-keys",
        "deliverDigitalGoods: 5,000 keys of one item in a body just under 512 KB",
        "POST",
        "/deliverDigitalGoods",
        method_setups.one_item_digital_goods_setup,
        method_setups.prism_one_item_digital_goods_body(),
        connections=(1,),
    ),
    _order_method(
        "delivery-track",
        "delivery/track: a new track code for an order in PROCESSING, stored",
        "POST",
        "/delivery/track",
        method_setups.delivery_track_setup,
        method_setups.prism_track_body(),
    ),
    _order_method(
        "put-identifiers",
        "PUT identifiers: new CIS and UIN codes for every unit of an order, stored",
        "PUT",
        "/identifiers",
        method_setups.put_identifiers_setup,
        method_setups.prism_identifiers_body(),
    ),
    _order_method(
        "identifiers-status",
        "POST identifiers/status: the stored codes of an order and their statuses",
        "POST",
        "/identifiers/status",
        method_setups.identifiers_status_setup,
    ),
    Workload(
        name="cart-100k",
        measures="the store's POST /cart on 100,000 offers and 10,000 regions, random baskets",
        # The push token in a bare Authorization header (the store's default, R-039).
        dbskit=Call(
            method="POST", path="/cart", headers={**_JSON, "Authorization": "{store_token}"}
        ),
        setup=store_setup.cart_setup,
        server="store",
    ),
)
