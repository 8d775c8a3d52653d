"""Recording every Partner API call for the query log, as the outermost pure ASGI middleware.

It sees the path as the caller spelled it (and so also records calls to paths or methods the API
does not have), keeps references to the request and answer as they stream past (bodies only up to
the log's size limit), and queues the call for the writer once the answer is complete, with the
operation, campaign and business the gateway resolved. The sandbox's own paths are not Partner API
calls and are not recorded.

The gateway reads every call's body before it judges the call, so the body is here whether or not
a handler read it; a body the gateway refused (over the R-088 limit, or late) is kept as far as it
was read, and nothing here waits for the rest.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dbskit.clock import Clock
from dbskit.market.domain.access import PartnerCall
from dbskit.market.domain.operation_routes import OperationMatch
from dbskit.market.domain.query_log import CapturedCall
from dbskit.market.gateway import (
    CAMPAIGN_PARAMETER,
    INJECTED_FAULT_KEY,
    OPERATION_KEY,
    PARTNER_CALL_KEY,
)
from dbskit.market.paths import is_own_path
from dbskit.market.query_log.writer import QueryLogWriter

# The path parameter that names the order of every call on one order (the operation table's
# ``/campaigns/{campaignId}/orders/{orderId}...``): the entry's ``order_id``. No operation names
# a single order only in its body; getOrders and getBusinessOrders concern no single order.
ORDER_PARAMETER: Final = "orderId"


class QueryLogRecorder:
    def __init__(self, app: ASGIApp, *, writer: QueryLogWriter, clock: Clock) -> None:
        self.app = app
        self.writer = writer
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_own_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        # The gateway leaves what it learned in the scope's state; a shared dict, so it is seen
        # here even through the copies of the scope that inner layers make.
        state = scope.setdefault("state", {})
        captured = CapturedCall(
            at=self.clock.now(),
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b""),
            request_headers=scope["headers"],
            request_chunks=[],
        )
        limit = self.writer.body_limit

        async def capture_request() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if body:
                    if captured.request_size < limit:
                        captured.request_chunks.append(body)
                    captured.request_size += len(body)
            return message

        async def capture_answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.response_headers = list(message.get("headers", ()))
                captured.response_chunks = []
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                if body and captured.response_chunks is not None:
                    if captured.response_size < limit:
                        captured.response_chunks.append(body)
                    captured.response_size += len(body)
            await send(message)

        try:
            await self.app(scope, capture_request, capture_answer)
        except BaseException:
            if not captured.status:
                captured.status = 500  # answered by the server's last-resort handler
            raise
        finally:
            _attribute(captured, state)
            self.writer.record(captured)


def _attribute(captured: CapturedCall, state: dict[str, object]) -> None:
    """The operation, campaign and business of the call, as far as the gateway got with it, and
    the sandbox fault injected into it, if any."""
    injected = state.get(INJECTED_FAULT_KEY)
    if isinstance(injected, tuple):
        captured.fault_rule_id, captured.fault = injected
    call = state.get(PARTNER_CALL_KEY)
    if isinstance(call, PartnerCall):
        captured.operation_id = call.operation.operation_id
        captured.campaign_id = call.campaign_id
        captured.business_id = call.business_id
        captured.order_id = _path_id(call.path_params, ORDER_PARAMETER)
        return
    matched = state.get(OPERATION_KEY)
    if isinstance(matched, OperationMatch):  # refused before access was granted
        captured.operation_id = matched.operation.operation_id
        captured.campaign_id = _path_id(matched.path_params, CAMPAIGN_PARAMETER)
        captured.order_id = _path_id(matched.path_params, ORDER_PARAMETER)


def _path_id(path_params: dict[str, str], name: str) -> int | None:
    """The id a path parameter spells, if it is an int64 (``123``, not ``abc`` or 20 digits)."""
    value = path_params.get(name, "")
    if value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None
