"""The Partner API gateway: every call to an operation of the table passes it, in this order.

1. authentication — ``Api-Key`` or the deprecated ``Authorization: Bearer`` (R-073..R-075);
2. authorization — the operation's scopes (R-077);
3. campaign access — ``campaignId`` parses, exists, belongs to the token's business (R-078) and
   is active; a call without a campaign needs an active cabinet (R-079);
4. the ``around_handler`` layers (the sandbox's fault rules; request limits; retired methods,
   OQ-29), then the handler;

and the ``around_call`` layers wrap all of it (the query log sees rejected calls too).

Before any of it, the call's body is read whole (``http_body.read_body_first``): a declared
body over the R-088 limit is 400 at once, one that does not arrive within ``--body-read-timeout``
is 408, and no call holds a parallel slot or a transaction while its client is slow to send.

Every path spelling reaches the same operation (R-072: ``/v2`` prefix, ``.json`` suffix). A path
of no operation is answered here (404, or 405 with ``Allow`` when other methods have it); dbskit's
own paths (``/sandbox``) go on to the application. It is pure ASGI: no per-request task. A
rejection is written by ``routes.errors``, the one envelope writer, as if a handler had raised it.

A layer is ``Callable[[ASGIApp], ASGIApp]``. The operation is in ``scope["state"]`` under
``OPERATION_KEY`` for every matched call, and the resolved ``PartnerCall`` under
``PARTNER_CALL_KEY`` once access is granted (handlers get it as ``PartnerRequest.call``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from dbskit.clock import Clock
from dbskit.contract import limits
from dbskit.contract.errors import ApiError, Messages, Unauthorized
from dbskit.contract.parameters import integer_parameter
from dbskit.http_body import read_body_first
from dbskit.market.domain import access, tokens
from dbskit.market.domain.access import PartnerCall
from dbskit.market.domain.operation_routes import (
    OperationMatch,
    allowed_methods,
    match_operation,
)
from dbskit.market.paths import canonical_path, is_own_path
from dbskit.market.routes.errors import error_response, no_such_operation
from dbskit.market.services.access_cache import AccessCache

Layer = Callable[[ASGIApp], ASGIApp]

OPERATION_KEY = "partner_operation"
PARTNER_CALL_KEY = "partner_call"
# Set by the sandbox's fault layer on a call it faulted: ``(rule id, fault)`` for the query log.
INJECTED_FAULT_KEY = "injected_fault"
CAMPAIGN_PARAMETER = "campaignId"
BUSINESS_PARAMETER = "businessId"

_API_KEY_HEADER = b"api-key"
_AUTHORIZATION_HEADER = b"authorization"


def _compose(layers: Sequence[Layer], app: ASGIApp) -> ASGIApp:
    for layer in reversed(layers):
        app = layer(app)
    return app


class PartnerGateway:
    def __init__(
        self,
        app: ASGIApp,
        *,
        partner_api: ASGIApp,
        access_cache: AccessCache,
        clock: Clock,
        body_read_timeout: float = limits.BODY_READ_TIMEOUT.total_seconds(),
        around_call: Sequence[Layer] = (),
        around_handler: Sequence[Layer] = (),
    ) -> None:
        self.app = app
        self._cache = access_cache
        self._clock = clock
        self._body_read_timeout = body_read_timeout
        self._handler = _compose(around_handler, partner_api)
        self._entry = _compose(around_call, self._judge)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_own_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            receive = await read_body_first(
                scope["headers"], receive, within=self._body_read_timeout
            )
        except ApiError as error:
            await error_response(error)(scope, receive, send)
            return
        except ClientDisconnect:
            return  # nobody is left to answer
        path = canonical_path(scope["path"])
        matched = match_operation(scope["method"], path)
        if matched is None:
            allow = allowed_methods(path)
            answer = no_such_operation(scope["method"], path, path_exists=bool(allow), allow=allow)
            await answer(scope, receive, send)
            return
        if path != scope["path"]:
            scope = dict(scope, path=path, raw_path=path.encode())
        state = scope.setdefault("state", {})
        state[OPERATION_KEY] = matched
        await self._entry(scope, receive, send)

    async def _judge(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched: OperationMatch = scope["state"][OPERATION_KEY]
        try:
            call = await self._resolve(scope, matched)
        except ApiError as error:
            await error_response(error)(scope, receive, send)
            return
        scope["state"][PARTNER_CALL_KEY] = call
        await self._handler(scope, receive, send)

    async def _resolve(self, scope: Scope, matched: OperationMatch) -> PartnerCall:
        api_key, authorization = _credential_headers(scope["headers"])
        credential = access.read_credential(api_key, authorization)
        stored = await self._cache.grant(tokens.fingerprint(credential.secret))
        grant = access.check_grant(credential, stored, self._clock.now())
        access.check_scopes(grant, matched.operation)
        campaign_id = None
        raw_campaign = matched.path_params.get(CAMPAIGN_PARAMETER)
        raw_business = matched.path_params.get(BUSINESS_PARAMETER)
        if raw_campaign is not None:
            campaign_id = integer_parameter(CAMPAIGN_PARAMETER, raw_campaign)
            access.check_campaign(grant, campaign_id, await self._cache.campaign(campaign_id))
        else:
            if raw_business is not None:
                business_id = integer_parameter(BUSINESS_PARAMETER, raw_business)
                exists = business_id == grant.business_id or await self._cache.business_exists(
                    business_id
                )
                access.check_business_path(grant, business_id, exists=exists)
            access.check_business(grant, await self._cache.business_active(grant.business_id))
        return PartnerCall(
            operation=matched.operation,
            business_id=grant.business_id,
            campaign_id=campaign_id,
            token_id=grant.token_id,
            credential=grant.kind,
            scopes=grant.scopes,
            path_params=matched.path_params,
        )


def _credential_headers(headers: Sequence[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The ``Api-Key`` and ``Authorization`` values; either sent twice is 401 whatever the
    values: which one counts would be a guess, and a proxy in front may have guessed the other."""
    api_key: str | None = None
    authorization: str | None = None
    for name, value in headers:
        if name == _API_KEY_HEADER:
            if api_key is not None:
                raise Unauthorized(Messages.CREDENTIAL_HEADER_REPEATED.format(header="Api-Key"))
            api_key = value.decode("latin-1")
        elif name == _AUTHORIZATION_HEADER:
            if authorization is not None:
                raise Unauthorized(
                    Messages.CREDENTIAL_HEADER_REPEATED.format(header="Authorization")
                )
            authorization = value.decode("latin-1")
    return api_key, authorization
