"""The limits step of the Partner API gateway (an ``around_handler`` layer; pure ASGI).

It runs for calls that passed authentication, scopes and campaign access: it admits the call or
answers 420, adds the ``X-RateLimit-Resource-*`` headers to whatever the handler answers (errors
included), and gives the parallel slot back once the answer has been sent.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dbskit.contract.errors import ApiError
from dbskit.market.domain.access import PartnerCall
from dbskit.market.gateway import PARTNER_CALL_KEY
from dbskit.market.limits.limiter import Limiter
from dbskit.market.routes.errors import error_response


class PartnerApiLimits:
    def __init__(self, app: ASGIApp, *, limiter: Limiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: PartnerCall = scope["state"][PARTNER_CALL_KEY]
        try:
            admission = await self.limiter.admit(
                call.operation.operation_id,
                token_key=str(call.token_id),
                campaign_id=call.campaign_id,
                business_id=call.business_id,
            )
        except ApiError as error:
            await error_response(error)(scope, receive, send)
            return
        extra = admission.headers

        async def send_with_limit_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_limit_headers)
        finally:
            await self.limiter.release(admission)
