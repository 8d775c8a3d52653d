"""The innermost step of a Partner API call: the operation's handler, and its answer or error.

The gateway has matched the operation and resolved the call (``scope["state"]``), so no router
runs a second time: the operation id picks the handler from the table. Errors a handler raises
become the envelope here; anything unexpected is the logged 500 with a request id.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from dbskit.contract.errors import ApiError
from dbskit.contract.operations import OPERATIONS
from dbskit.market.domain.access import PartnerCall
from dbskit.market.gateway import PARTNER_CALL_KEY
from dbskit.market.routes._partner import Handler, PartnerRequest
from dbskit.market.routes.errors import error_response, unexpected_error_response
from dbskit.market.runtime import Runtime


class PartnerApi:
    def __init__(self, runtime: Runtime, handlers: Mapping[str, Handler]) -> None:
        missing = {op.operation_id for op in OPERATIONS} - handlers.keys()
        if missing:
            raise ValueError(f"operations without a handler: {', '.join(sorted(missing))}")
        self.runtime = runtime
        # A plain dict: tests put probe handlers in front of the real ones.
        self.handlers: dict[str, Handler] = dict(handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: PartnerCall = scope["state"][PARTNER_CALL_KEY]
        request = Request(scope, receive)
        handler = self.handlers[call.operation.operation_id]
        try:
            response = await handler(PartnerRequest(request, call, self.runtime))
        except ApiError as error:
            response = error_response(error)
        except Exception as exc:
            response = unexpected_error_response(request, exc)
        await response(scope, receive, send)
