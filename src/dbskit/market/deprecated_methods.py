"""The deprecated-methods step of the Partner API gateway (an ``around_handler`` layer inside the
limits; pure ASGI), installed only with ``--deprecations`` on (docs/decisions.md, "Deprecated
methods (OQ-29)").

It runs once the limits admitted the call, so a refused call is counted like any other 4xx
(OQ-15) and carries the ``X-RateLimit-Resource-*`` headers, and a call the limits refused (420)
takes no number. The counts per token are this instance's, in memory (``DeprecationGate``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from dbskit.clock import Clock
from dbskit.contract.errors import ApiError
from dbskit.market.domain.access import PartnerCall
from dbskit.market.domain.deprecations import DeprecationGate
from dbskit.market.gateway import PARTNER_CALL_KEY
from dbskit.market.routes.errors import error_response


class DeprecatedMethods:
    def __init__(self, app: ASGIApp, *, clock: Clock, fail_every: int) -> None:
        self.app = app
        self.clock = clock
        self.gate = DeprecationGate(fail_every=fail_every)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call: PartnerCall = scope["state"][PARTNER_CALL_KEY]
        if call.operation.deprecation is not None:
            try:
                self.gate.check(call.operation, token_id=call.token_id, now=self.clock.now())
            except ApiError as error:
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)
