"""The router's default answer for a path no route matches (R-080)."""

from __future__ import annotations

import json

import pytest
from starlette.types import Message, Scope

from dbskit.market.routes.errors import unknown_path


async def _call(scope_type: str, path: str) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": f"{scope_type}.connect" if scope_type == "websocket" else "http.request"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": scope_type, "path": path, "headers": [], "query_string": b""}
    await unknown_path(scope, receive, send)
    return sent


@pytest.mark.rule("R-071", "R-080")
async def test_http_gets_the_404_envelope_without_an_exception() -> None:
    start, body = await _call("http", "/no/such/resource")
    assert start["status"] == 404
    assert (b"content-type", b"application/json") in start["headers"]
    assert json.loads(body["body"]) == {
        "status": "ERROR",
        "errors": [{"code": "NOT_FOUND", "message": "Resource not found: '/no/such/resource'"}],
    }


@pytest.mark.rule("R-080")
async def test_a_websocket_to_an_unknown_path_is_closed() -> None:
    assert await _call("websocket", "/nowhere") == [
        {"type": "websocket.close", "code": 1000, "reason": ""}
    ]
