"""The workloads, as data. Adding one is a few lines in ``WORKLOADS``.

A workload names the request wrk sends to dbskit (and, when the spec has a matching path, to
Prism), the status that counts as a good answer, and optionally a ``setup`` that prepares fresh
data on the running dbskit server through HTTP (e.g. the /sandbox endpoints) before each load run.
``setup`` returns the tokens to spread over the connections and values substituted into
``{placeholders}`` of the path, headers and body.
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


# The bare reference answers this one route (benchmarks/bare.py); every workload is compared to it.
BARE = Call(method="GET", path="/", expected_status=200)


def bench_settings() -> dict[str, str]:
    """DBSKIT_* settings of the benchmarked server: the limiter stays on, its budgets raised so
    that a few seconds of load from a handful of tokens stay within them."""
    use_checkout_sources()
    from dbskit.contract.operations import OPERATIONS

    raised = {operation.operation_id: 1_000_000_000 for operation in OPERATIONS}
    return {"DBSKIT_LIMIT_OVERRIDES": json.dumps(raised), "DBSKIT_PARALLEL_LIMIT": "1000000"}


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
)
