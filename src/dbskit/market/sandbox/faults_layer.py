"""The sandbox's fault rules at work: an ``around_handler`` layer of the Partner API gateway
(pure ASGI), outside the limits.

It runs for calls that passed authentication, scopes and campaign access, so a rule can name the
campaign or the token. While no rule is known (``FaultService.active``) a call pays one attribute
read. A faulted call is answered here, before the limits, so it spends no budget, as the
emulator's own 420 spends none: the 420s are the limiter's own (same message, code and
``X-RateLimit-Resource-*`` headers), the 500 is the unexpected error's (with a request id), the
503 the unavailable counters' (R-082); a dropped connection is closed without a byte of answer;
latency delays the call, which then goes on as usual. The query log marks each such call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dbskit.contract.errors import ApiError, InternalError, Messages, ServiceUnavailable
from dbskit.contract.sandbox_faults import FaultKind
from dbskit.market.domain.access import PartnerCall
from dbskit.market.domain.faults import FaultRule
from dbskit.market.gateway import INJECTED_FAULT_KEY, PARTNER_CALL_KEY
from dbskit.market.limits.limiter import Limiter
from dbskit.market.routes.errors import error_response, request_id_of
from dbskit.market.services.faults import FaultService

log = logging.getLogger(__name__)

# The served process's HTTP protocol (``transport.MarketHttpProtocol``) puts this extension in
# every request's scope: ``{"close": <closes the connection>}``. ASGI has no message for it.
CLOSE_EXTENSION: Final = "dbskit.close_connection"
REQUEST_ID_HEADER: Final = "X-Request-Id"


class ConnectionNotClosable(RuntimeError):
    """The server gives no way to close the connection (``CLOSE_EXTENSION``)."""


class FaultInjection:
    def __init__(self, app: ASGIApp, *, faults: FaultService, limiter: Limiter) -> None:
        self.app = app
        self.faults = faults
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.faults.active:
            await self.app(scope, receive, send)
            return
        call: PartnerCall = scope["state"][PARTNER_CALL_KEY]
        rules = self.faults.matching(
            operation_id=call.operation.operation_id,
            campaign_id=call.campaign_id,
            token_id=call.token_id,
        )
        rule = await self._fired(rules) if rules else None
        if rule is None:
            await self.app(scope, receive, send)
            return
        scope["state"][INJECTED_FAULT_KEY] = (rule.id, rule.fault.value)
        if rule.fault is FaultKind.LATENCY:
            await asyncio.sleep((rule.latency_ms or 0) / 1000)
            await self.app(scope, receive, send)
        elif rule.fault is FaultKind.DROP_CONNECTION:
            await _close_connection(scope, receive)
        else:
            await error_response(await self._answer(rule, call, scope))(scope, receive, send)

    async def _fired(self, rules: list[FaultRule]) -> FaultRule | None:
        try:
            return await self.faults.fire(rules)
        except Exception:
            # A test tool that fails must not fail the call it was to fault.
            log.exception("fault rules: counting a call failed; the call goes on unfaulted")
            return None

    async def _answer(self, rule: FaultRule, call: PartnerCall, scope: Scope) -> ApiError:
        if rule.fault in (FaultKind.HOURLY_LIMIT, FaultKind.PARALLEL_LIMIT):
            try:
                return await self.limiter.refusal(
                    call.operation.operation_id,
                    parallel=rule.fault is FaultKind.PARALLEL_LIMIT,
                    campaign_id=call.campaign_id,
                    business_id=call.business_id,
                )
            except ApiError as error:  # the counters cannot be read: their own 503
                return error
        if rule.fault is FaultKind.INTERNAL_ERROR:
            request_id = request_id_of(Request(scope))
            return InternalError(
                Messages.INTERNAL.format(request_id=request_id),
                headers={REQUEST_ID_HEADER: request_id},
            )
        return ServiceUnavailable(Messages.SERVICE_UNAVAILABLE)


async def _close_connection(scope: Scope, receive: Receive) -> None:
    """Close the connection without answering, then wait until the server has seen it closed
    (so it does not answer in the application's place)."""
    close: Callable[[], None] | None = (
        scope.get("extensions", {}).get(CLOSE_EXTENSION, {}).get("close")
    )
    if close is None:
        raise ConnectionNotClosable("the server cannot close a connection unanswered")
    close()
    while (await receive())["type"] != "http.disconnect":
        pass
