"""Deliberately broken stores: our store's answers, each bent in one way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EMPTY_ANSWER: dict[str, Any] = {"cart": {"items": [], "deliveryOptions": [], "paymentMethods": []}}


@dataclass
class Exchange:
    """One call through the broken store: what was asked and what will be answered."""

    request: Any
    status: int
    content_type: str
    body: bytes
    delay: float = 0.0

    @property
    def answer(self) -> Any:
        return json.loads(self.body)

    @answer.setter
    def answer(self, value: Any) -> None:
        self.body = json.dumps(value, ensure_ascii=False).encode()


Breakage = Callable[[Exchange], None]


class BrokenStore:
    """An ASGI app that lets the store answer, then applies ``breakage`` to the exchange."""

    def __init__(self, store: ASGIApp, breakage: Breakage) -> None:
        self.store = store
        self.breakage = breakage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.store(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        sent: list[Message] = []

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            sent.append(message)

        await self.store(scope, replay, capture)
        start = next(m for m in sent if m["type"] == "http.response.start")
        headers = dict((k.decode(), v.decode()) for k, v in start["headers"])
        answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        exchange = Exchange(
            json.loads(body), start["status"], headers.get("content-type", ""), answer
        )
        self.breakage(exchange)
        if exchange.delay:
            await asyncio.sleep(exchange.delay)
        await send(
            {
                "type": "http.response.start",
                "status": exchange.status,
                "headers": [(b"content-type", exchange.content_type.encode())],
            }
        )
        await send({"type": "http.response.body", "body": exchange.body})


def on_answers(change: Callable[[dict[str, Any], dict[str, Any]], None]) -> Breakage:
    """Apply ``change(request_cart, answer_cart)`` to every 200 answer."""

    def breakage(exchange: Exchange) -> None:
        if exchange.status == 200:
            answer = exchange.answer
            change(exchange.request["cart"], answer["cart"])
            exchange.answer = answer

    return breakage


def options_of(cart: dict[str, Any], type_: str | None = None) -> list[dict[str, Any]]:
    return [o for o in cart["deliveryOptions"] if type_ is None or o["type"] == type_]
