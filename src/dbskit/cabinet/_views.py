"""Rendering a page for a visit: the context every page has, and the redirect after a form."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from dbskit.cabinet._auth import Visit
from dbskit.cabinet._render import page

# What a form did, shown on the page it returns to. The address names a fixed notice, never
# caller text, so a link cannot make the cabinet say something of an attacker's choosing.
NOTICES: Final = {
    "signed-out": "Signed out.",
    "campaign-created": "Campaign created.",
    "settings-saved": "Settings saved.",
    "activity-changed": "The store's API access changed.",
    "key-revoked": "Key revoked.",
    "ping-sent": "PING queued for the notification URL.",
    "order-created": "Test order created.",
    "order-moved": "Order moved.",
    "buyer-cancelled": "The buyer's cancellation was made.",
    "buyer-received": "The buyer confirmed receipt.",
    "dates-changed": "Delivery dates changed.",
    "clock-advanced": "Clock advanced; the events that fell due ran.",
    "sandbox-reset": "Sandbox reset.",
    "scenario-loaded": "Scenario loaded.",
    "fault-added": "Fault rule added.",
    "faults-cleared": "Fault rules deleted.",
}
NOTICE_PARAMETER: Final = "done"
# The clock moves by an amount in one of these units (the sandbox page and an order's page).
CLOCK_UNITS: Final = {"minutes": 60, "hours": 3600, "days": 86_400}


def render(
    request: Request, visit: Visit, template: str, *, section: str, **context: Any
) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get(NOTICE_PARAMETER, ""))
    values: dict[str, Any] = {
        "signed_in": True,
        "section": section,
        "csrf_token": visit.csrf_token,
        "now": visit.runtime.clock.now(),
        "notice": notice,
    }
    values.update(context)
    return page(template, values)


def done(path: str, notice: str, **query: str | int) -> RedirectResponse:
    """303 to ``path`` (a cabinet page) with the notice of what the form did."""
    assert notice in NOTICES
    target = f"{path}?{urlencode({**query, NOTICE_PARAMETER: notice})}"
    return RedirectResponse(target, status_code=303)
