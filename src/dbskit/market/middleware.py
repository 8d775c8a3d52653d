"""ASGI middleware of the Market side (pure ASGI: no per-request task or buffering)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from dbskit.contract import limits

# Paths that belong to dbskit itself, not to the Partner API, keep their exact form.
_OWN_PREFIXES = ("/sandbox", "/store")


def canonical_path(path: str) -> str:
    """R-072: ``/v2/x``, ``/x``, ``/v2/x.json`` and ``/x.json`` name the same resource."""
    if path.startswith(_OWN_PREFIXES):
        return path
    if path.startswith(limits.API_VERSION_PREFIX + "/"):
        path = path[len(limits.API_VERSION_PREFIX) :]
    if path.endswith(limits.FORMAT_SUFFIX):
        path = path[: -len(limits.FORMAT_SUFFIX)]
    return path


class PartnerApiPaths:
    """Routes every spelling of a Partner API path to its canonical route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            canonical = canonical_path(path)
            if canonical != path:
                scope = dict(scope, path=canonical, raw_path=canonical.encode())
        await self.app(scope, receive, send)
