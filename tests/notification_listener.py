"""A store's notification endpoint for tests: a real HTTP server on a free loopback port.

It answers ``POST /notification`` from a script of replies (the last one repeats), records every
request it gets, and runs inside the test's event loop under uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import ASGIApp

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

ACCEPTED = {"version": "1.0.0", "name": "test store", "time": "2026-01-16T10:09:49Z"}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = json.dumps(ACCEPTED).encode()
    content_type: str = "application/json"
    delay: float = 0.0


FAIL = Reply(500, b'{"error": {"type": "UNKNOWN", "message": "store is down"}}')
OK = Reply()


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    content_type: str | None
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Listener:
    replies: list[Reply]
    url: str = ""
    received: list[Received] = field(default_factory=list)

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        assert scope["type"] == "http"
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.received.append(
            Received(scope["method"], scope["path"], headers.get("content-type"), b"".join(chunks))
        )
        reply = self.replies[min(len(self.received), len(self.replies)) - 1]
        if reply.delay:
            await asyncio.sleep(reply.delay)
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(b"content-type", reply.content_type.encode())],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})


@asynccontextmanager
async def serve(
    *replies: Reply, wrap: Callable[[Listener], ASGIApp] | None = None
) -> AsyncIterator[Listener]:
    """A store on a free loopback port, in this event loop; ``wrap`` puts an app in front of the
    listener (to watch the calls as they come)."""
    listener = Listener(list(replies) or [OK])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    listener.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        listener if wrap is None else wrap(listener),
        lifespan="off",
        log_level="warning",
        http="h11",
        ws="none",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.01)
        yield listener
    finally:
        server.should_exit = True
        await task
        sock.close()


def closed_port_url() -> str:
    """A loopback URL nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
