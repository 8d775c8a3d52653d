"""The no-op server of ``python -m benchmarks.client``: canned answers, no work of its own.

The baseline against which the client's own CPU is measured, so it answers every request with a
body fixed in advance (``BODIES_VARIABLE`` names a JSON file mapping an answer's name to its
text), chosen by the request's path alone: the client process pays the same HTTP exchange for the
bare httpx request and for the client's call, and only the client adds its own work. The bodies
are the emulator's own answers, captured once per run (``benchmarks/client_cpu.py``).

A plain ASGI application under uvicorn with the flags of the other reference servers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, Final

BODIES_VARIABLE: Final = "DBSKIT_BENCH_NOOP_BODIES"
READY_PATH: Final = "/ready"
# The answers, by name: what each operation of the measurement gets.
TRACK: Final = "track"  # POST .../delivery/track and deliverDigitalGoods: {"status": "OK"}
ORDER: Final = "order"  # GET .../orders/{orderId}
ORDERS_PAGE: Final = "orders-page"  # GET .../orders
BUSINESS_PAGE: Final = "business-page"  # POST /v1/businesses/{businessId}/orders
NAMES: Final = (TRACK, ORDER, ORDERS_PAGE, BUSINESS_PAGE)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
_HEADERS: Final = [(b"content-type", b"application/json")]


def answer_name(method: str, path: str) -> str:
    """Which canned answer a request gets, by its method and path."""
    if path.startswith("/v1/businesses/"):
        return BUSINESS_PAGE
    if method == "POST":
        return TRACK
    if path.rstrip("/").endswith("/orders"):
        return ORDERS_PAGE
    return ORDER


def _load() -> dict[str, bytes]:
    path = os.environ.get(BODIES_VARIABLE)
    if not path:  # imported without a run (tests of answer_name)
        return {}
    documents = json.loads(Path(path).read_text())
    return {name: documents[name].encode() for name in NAMES}


_BODIES: Final = _load()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:  # the request's body is read whole, as any server would
        more = (await receive()).get("more_body", False)
    path: str = scope["path"]
    body = b'{"status":"OK"}' if path == READY_PATH else _BODIES[answer_name(scope["method"], path)]
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": body})
