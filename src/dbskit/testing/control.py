"""The sandbox control plane (``/sandbox``, Sandbox-Token) over httpx, for the plugin's fixtures.

Each method is one documented call (docs/decisions.md, "The sandbox control plane") and returns
the answer's JSON; an answer other than 2xx raises ``SandboxCallError`` with the Market-style
``errors`` the server wrote, so a test's setup mistake reads as the server explained it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import httpx

Json = dict[str, Any]

# ours: a control-plane call is local and short, but a clock move runs every event that falls
# due before it answers, and a full reset of a large sandbox takes a moment on a slow disk.
CONTROL_TIMEOUT_SECONDS: Final = 60.0
SANDBOX_TOKEN_HEADER: Final = "Sandbox-Token"  # noqa: S105 - a header name


class SandboxCallError(Exception):
    """A control-plane call answered other than 2xx."""

    def __init__(self, method: str, path: str, answer: httpx.Response) -> None:
        self.status_code = answer.status_code
        self.text = answer.text
        try:
            body = answer.json()
        except ValueError:
            body = None
        errors = body.get("errors") if isinstance(body, dict) else None
        self.errors: list[Json] = errors if isinstance(errors, list) else []
        detail = "; ".join(
            f"{entry.get('code')}: {entry.get('message')}"
            for entry in self.errors
            if isinstance(entry, dict)
        )
        super().__init__(f"{method} {path} answered {self.status_code}: {detail or self.text}")


class SandboxControl:
    """A small client of ``/sandbox`` on one server, holding its Sandbox-Token."""

    def __init__(self, base_url: str, sandbox_token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={SANDBOX_TOKEN_HEADER: sandbox_token},
            timeout=CONTROL_TIMEOUT_SECONDS,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxControl:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Json | None = None,
        params: dict[str, Any] | None = None,
        content: str | None = None,
        content_type: str | None = None,
    ) -> Json:
        """One call to ``/sandbox<path>``; the answer's JSON object ({} when it has no body)."""
        headers = {"Content-Type": content_type} if content_type else None
        answer = self._http.request(
            method,
            "/sandbox" + path,
            json=body,
            params={k: v for k, v in (params or {}).items() if v is not None},
            content=content,
            headers=headers,
        )
        if not answer.is_success:
            raise SandboxCallError(method, "/sandbox" + path, answer)
        if not answer.content:
            return {}
        parsed = answer.json()
        return parsed if isinstance(parsed, dict) else {"answer": parsed}

    # Resetting (docs/decisions.md, "Resetting the sandbox").

    def reset(self, campaign_id: int | None = None) -> Json:
        """Everything (the clock back to real time), or one campaign's part."""
        return self.call(
            "POST", "/reset", body={} if campaign_id is None else {"campaignId": campaign_id}
        )

    # Campaigns and keys.

    def create_campaign(self, **settings: Any) -> Json:
        """A campaign in a new business (or ``businessId``): ``{"businessId", "campaignId"}``."""
        return self.call("POST", "/campaigns", body=settings)

    def campaign(self, campaign_id: int) -> Json:
        return self.call("GET", f"/campaigns/{campaign_id}")

    def update_campaign(self, campaign_id: int, **changes: Any) -> Json:
        return self.call("PATCH", f"/campaigns/{campaign_id}", body=changes)

    def issue_api_key(self, business_id: int, scopes: list[str] | None = None) -> Json:
        """An Api-Key of the business: ``{"tokenId", "type", "apiKey"}``."""
        return self.call(
            "POST",
            "/tokens",
            body={"businessId": business_id, "scopes": scopes or ["all-methods"]},
        )

    # The clock (docs/decisions.md, "The sandbox clock").

    def clock(self) -> Json:
        return self.call("GET", "/clock")

    def move_clock(self, *, advance_seconds: float | None = None, to: str | None = None) -> Json:
        body: Json = {"advanceSeconds": advance_seconds} if to is None else {"now": to}
        return self.call("POST", "/clock", body=body)

    # What the Market sent and was sent.

    def outbox(self, *, campaign_id: int | None = None, order_id: int | None = None) -> Json:
        return self.call("GET", "/outbox", params={"campaignId": campaign_id, "orderId": order_id})

    def requests(
        self,
        *,
        campaign_id: int | None = None,
        limit: int | None = None,
        page_token: str | None = None,
    ) -> Json:
        return self.call(
            "GET",
            "/requests",
            params={"campaignId": campaign_id, "limit": limit, "pageToken": page_token},
        )

    # Faults (docs/decisions.md, "Fault injection").

    def add_fault(self, rule: Json) -> Json:
        return self.call("POST", "/faults", body=rule)

    def faults(self) -> Json:
        return self.call("GET", "/faults")

    def clear_faults(self, rule_id: int | None = None) -> Json:
        return self.call("DELETE", "/faults" if rule_id is None else f"/faults/{rule_id}")

    # Scenarios (``POST /sandbox/scenarios``): a sandbox set up from one document.

    def load_scenario(self, scenario: Scenario, *, file_format: str | None = None) -> Json:
        """Load a scenario: a file's ``Path`` (or a one-line string naming a file), the
        document's text, or the document itself as a mapping. ``file_format`` (``yaml``,
        ``json``, ``toml``) overrides the guess: a file's suffix, else JSON if the text parses
        as JSON, else YAML. Answers ``{"now", "notify", "names": {name: what it made}}``."""
        if isinstance(scenario, Mapping):
            return self.call("POST", "/scenarios", body=dict(scenario))
        text, suffix = scenario_source(scenario)
        found = file_format or SCENARIO_SUFFIXES.get(suffix) or guess_format(text)
        media_type = SCENARIO_MEDIA_TYPES.get(found.lower())
        if media_type is None:
            raise ValueError(f"unknown scenario format {found!r}: one of yaml, json, toml")
        return self.call("POST", "/scenarios", content=text, content_type=media_type)


Scenario = str | Path | Mapping[str, Any]
SCENARIO_MEDIA_TYPES: Final = {
    "yaml": "application/yaml",
    "json": "application/json",
    "toml": "application/toml",
}
SCENARIO_SUFFIXES: Final = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}


def scenario_source(scenario: str | Path) -> tuple[str, str]:
    """The text and the file suffix ("" for text given as such). A ``Path``, or a one-line string
    naming an existing file, is read."""
    if isinstance(scenario, str) and ("\n" in scenario or not Path(scenario).is_file()):
        return scenario, ""
    path = Path(scenario)
    return path.read_text(encoding="utf-8"), path.suffix.lower()


def guess_format(text: str) -> str:
    """JSON when the text parses as JSON; else YAML (which reads JSON too, but not the reverse)."""
    try:
        json.loads(text)
    except ValueError:
        return "yaml"
    return "json"
