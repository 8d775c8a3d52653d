"""What a workload sends: the call, its variants, and what a setup hook gets and gives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# bench.lua writes a number no other request of the run has in place of every occurrence, with
# as many digits as the marker has characters (so the body keeps its length).
SEQUENCE_MARKER = "<<sequence>>"
SEQUENCE_DIGITS = len(SEQUENCE_MARKER)


@dataclass(frozen=True)
class Call:
    """One request as wrk sends it, and the status every answer must have."""

    method: str = "GET"
    path: str = "/"
    expected_status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    # The header that carries the token of each Variant, a different one per connection.
    token_header: str | None = None

    def with_values(self, values: Mapping[str, str]) -> Call:
        """``{placeholders}`` of the path and headers filled (bodies come whole in variants)."""
        if not values:
            return self
        return Call(
            method=self.method,
            path=self.path.format_map(values),
            expected_status=self.expected_status,
            headers={name: value.format_map(values) for name, value in self.headers.items()},
            body=self.body,
            token_header=self.token_header,
        )


@dataclass(frozen=True)
class Variant:
    """One request of the cycle: its own token, path and body; empty means the call's."""

    token: str = ""
    path: str = ""
    body: str = ""

    def line(self) -> str:
        """The variants-file line bench.lua reads (compact JSON bodies hold no tab or newline)."""
        for part in (self.token, self.path, self.body):
            if "\t" in part or "\n" in part or "\r" in part:
                raise ValueError(f"a tab or line break in a request variant: {part[:80]!r}")
        return f"{self.token}\t{self.path}\t{self.body}"


@dataclass(frozen=True)
class GeneratedStore:
    """The store data the store server was started with, for a setup to draw baskets from."""

    settings_path: Path
    token: str
    seed: int
    offers: int
    regions: int
    outlets: int


@dataclass(frozen=True)
class SetupContext:
    """What a setup hook gets: the running server and the coming run's connection count."""

    base_url: str
    sandbox_token: str
    connections: int
    client: httpx.Client
    store: GeneratedStore | None = None
    # The Market server's database, for a setup that writes its data there directly.
    database_url: str | None = None

    @property
    def sandbox_headers(self) -> dict[str, str]:
        return {"Sandbox-Token": self.sandbox_token}


@dataclass(frozen=True)
class Prepared:
    """Fresh data for one load run: request variants, and values for the call's placeholders."""

    variants: tuple[Variant, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)
