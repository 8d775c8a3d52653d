"""The workloads, as data. Adding one is a few lines in ``WORKLOADS``.

A workload names the request wrk sends to dbskit (and, when the spec has a matching path, to
Prism), the status that counts as a good answer, and optionally a ``setup`` that prepares fresh
data on the running dbskit server through HTTP (e.g. the /sandbox endpoints) before each load run.
``setup`` returns the tokens to spread over the connections and values substituted into
``{placeholders}`` of the path, headers and body. A token may carry its own path
(``token_with_path``): its connection then asks for that path, so a workload can spread its
requests over a pool of resources.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from benchmarks._paths import use_checkout_sources


@dataclass(frozen=True)
class Call:
    """One request as wrk sends it, and the status every answer must have."""

    method: str = "GET"
    path: str = "/"
    expected_status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    # The header that carries a token from Prepared.tokens, a different one per connection.
    token_header: str | None = None

    def with_values(self, values: Mapping[str, str]) -> Call:
        if not values:
            return self
        return Call(
            method=self.method,
            path=self.path.format_map(values),
            expected_status=self.expected_status,
            headers={name: value.format_map(values) for name, value in self.headers.items()},
            body=self.body.format_map(values),
            token_header=self.token_header,
        )


@dataclass(frozen=True)
class SetupContext:
    """What a setup hook gets: the running dbskit server and the coming run's connection count."""

    base_url: str
    sandbox_token: str
    connections: int
    client: httpx.Client

    @property
    def sandbox_headers(self) -> dict[str, str]:
        return {"Sandbox-Token": self.sandbox_token}


@dataclass(frozen=True)
class Prepared:
    tokens: tuple[str, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)


Setup = Callable[[SetupContext], Prepared]


@dataclass(frozen=True)
class Workload:
    name: str
    measures: str  # one line for the results table and docs/benchmarks.md
    dbskit: Call
    prism: Call | None = None  # the same operation on Prism, when the spec has it
    setup: Setup | None = None


def token_with_path(token: str, path: str) -> str:
    """A token whose requests go to ``path`` instead of the call's (bench.lua splits on the tab)."""
    if "\t" in token or "\n" in token or "\n" in path:
        raise ValueError("a token or path with a tab or line break")
    return f"{token}\t{path}"


# The bare reference answers this one route (benchmarks/bare.py); every workload is compared to it.
BARE = Call(method="GET", path="/", expected_status=200)


def bench_settings() -> dict[str, str]:
    """DBSKIT_* settings of the benchmarked server: the limiter stays on, its budgets raised so
    that a few seconds of load from a handful of tokens stay within them."""
    use_checkout_sources()
    from dbskit.contract.operations import OPERATIONS

    raised = {operation.operation_id: 1_000_000_000 for operation in OPERATIONS}
    return {"DBSKIT_LIMIT_OVERRIDES": json.dumps(raised), "DBSKIT_PARALLEL_LIMIT": "1000000"}


# GET order: one Api-Key per connection, each asking for its own order of a pool. A business holds
# at most 30 keys, so the connections are spread over as many sellers as that takes.
KEYS_PER_SELLER = 30
ORDERS_PER_SELLER = 32


def _sandbox_post(context: SetupContext, path: str, body: dict[str, object]) -> dict[str, object]:
    response = context.client.post(
        context.base_url + path, json=body, headers=context.sandbox_headers
    )
    response.raise_for_status()
    answer: dict[str, object] = response.json()
    return answer


def get_order_setup(context: SetupContext) -> Prepared:
    """Sellers with a pool of test orders each, and a key per connection."""
    tokens: list[str] = []
    sellers = -(-context.connections // KEYS_PER_SELLER)
    for seller in range(sellers):
        campaign = _sandbox_post(context, "/sandbox/campaigns", {"name": f"Bench {seller}"})
        orders = [
            _sandbox_post(
                context,
                f"/sandbox/campaigns/{campaign['campaignId']}/orders",
                {
                    "items": [
                        {"offerId": f"sku-{n}", "count": 1 + n % 3, "price": 990},
                        {"offerId": "cable", "count": 1, "price": 150, "marking": "CIS"},
                    ],
                    "delivery": {"type": "PICKUP" if n % 2 else "DELIVERY"},
                },
            )["order"]
            for n in range(ORDERS_PER_SELLER)
        ]
        keys = min(KEYS_PER_SELLER, context.connections - seller * KEYS_PER_SELLER)
        for n in range(keys):
            token = _sandbox_post(
                context,
                "/sandbox/tokens",
                {"businessId": campaign["businessId"], "scopes": ["all-methods"]},
            )
            order = orders[n % len(orders)]
            assert isinstance(order, dict)
            path = f"/v2/campaigns/{campaign['campaignId']}/orders/{order['id']}"
            tokens.append(token_with_path(str(token["apiKey"]), path))
    return Prepared(tokens=tuple(tokens))


def keys_setup(context: SetupContext) -> Prepared:
    """A full-access key per connection, spread over as many sellers as R-076 requires."""
    tokens: list[str] = []
    while len(tokens) < context.connections:
        campaign = _sandbox_post(context, "/sandbox/campaigns", {"name": f"Keys {len(tokens)}"})
        for _ in range(min(KEYS_PER_SELLER, context.connections - len(tokens))):
            token = _sandbox_post(
                context,
                "/sandbox/tokens",
                {"businessId": campaign["businessId"], "scopes": ["all-methods"]},
            )
            tokens.append(str(token["apiKey"]))
    return Prepared(tokens=tuple(tokens))


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        name="404-envelope",
        measures="an unknown Partner API path answered with the 404 error envelope",
        dbskit=Call(method="GET", path="/v2/no-such-method", expected_status=404),
        prism=Call(
            method="GET",
            path="/v2/delivery/services",
            expected_status=200,
            headers={"Api-Key": "benchmark"},
        ),
    ),
    Workload(
        name="delivery-services",
        measures="GET v2/delivery/services: the cheapest authenticated call (auth, scopes, limiter,"
        " query log)",
        dbskit=Call(method="GET", path="/v2/delivery/services", token_header="Api-Key"),
        prism=Call(
            method="GET",
            path="/v2/delivery/services",
            expected_status=200,
            headers={"Api-Key": "benchmark"},
        ),
        setup=keys_setup,
    ),
    Workload(
        name="get-order",
        measures="GET order: a test order read with auth, limiter and query log on",
        # Every token carries the path of its own order (get_order_setup); this one is not asked.
        dbskit=Call(method="GET", path="/v2/campaigns/0/orders/0", token_header="Api-Key"),
        prism=Call(
            method="GET",
            path="/v2/campaigns/21000001/orders/52000000001",
            expected_status=200,
            headers={"Api-Key": "benchmark"},
        ),
        setup=get_order_setup,
    ),
)
