"""Checkout through the store: the Market asks the campaign's store POST /cart, logs the call,
and places a test order from the answer (rules in ``domain.checkout``).

The call is asynchronous on the runtime's HTTP client, so a store served by the same process
(``dbskit serve`` mounts the demo store at /store) answers while the checkout waits. It has the
Market's deadline for the whole exchange and 1 s to connect (R-037). Every call that was made is
in the query log, answered or not (status 0 and the failure as the body when no answer came).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta

from dbskit.cart_rules.findings import Finding
from dbskit.clock import Clock
from dbskit.contract import limits
from dbskit.contract.cart import CartAnswerBody
from dbskit.contract.checkout import CheckoutRequest
from dbskit.contract.errors import BadRequest, Forbidden, Messages, NotFound
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.database.db import Database
from dbskit.market.domain.checkout import (
    PUSH_CART_OPERATION,
    StoreReply,
    build_checkout_order,
    cart_request,
    cart_url,
    judge_reply,
    no_answer,
    plan_order,
)
from dbskit.market.domain.notification_delivery import refuse_target
from dbskit.market.domain.order import Order
from dbskit.market.domain.query_log import REDACTED, CapturedCall
from dbskit.market.query_log.writer import QueryLogWriter
from dbskit.market.services.outbound import OutboundHttp
from dbskit.market.services.sandbox_orders import place_test_order
from dbskit.market.storage.access import CampaignPush, campaign_push
from dbskit.notification_answers import JSON_MEDIA_TYPE
from dbskit.notification_failures import transport_failure
from dbskit.push_token import TOKEN_PARAMETER


@dataclass(frozen=True, slots=True)
class Checkout:
    order: Order
    cart: CartAnswerBody  # the store's answer
    warnings: list[Finding]  # what the Market tolerated in it


@dataclass(frozen=True, slots=True)
class CheckoutDeps:
    db: Database
    clock: Clock
    http: OutboundHttp
    query_log: QueryLogWriter
    deadline: float  # seconds the store has to answer
    retention: timedelta  # test orders are purged after this


async def checkout(deps: CheckoutDeps, *, campaign_id: int, basket: CheckoutRequest) -> Checkout:
    push = await deps.db.run_read(lambda conn: campaign_push(conn, campaign_id))
    if push is None:
        raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
    if not push.active:  # a switched-off store is closed to the Market, buyers included
        raise Forbidden(Messages.CAMPAIGN_NOT_ACTIVE.format(campaign_id=campaign_id))
    if not push.url:
        raise BadRequest(Messages.NO_PUSH_URL.format(campaign_id=campaign_id))
    body = (
        cart_request(basket, business_id=push.business_id)
        .model_dump_json(by_alias=True, exclude_none=True)
        .encode()
    )
    url = cart_url(push.url)
    refused = refuse_target(url)
    if refused is not None:
        raise no_answer(refused, url)
    reply = await _call_store(deps, push, url, body, campaign_id=campaign_id)
    judged = judge_reply(
        reply, url=url, basket=basket, deadline=deps.deadline, now=deps.clock.now()
    )
    plan = plan_order(basket, judged.cart)
    now = deps.clock.now()

    def build(order_id: int, item_ids: list[int]) -> Order:
        return build_checkout_order(
            plan, basket, campaign_id=campaign_id, order_id=order_id, item_ids=item_ids, now=now
        )

    order = await place_test_order(
        deps.db,
        campaign_id=campaign_id,
        item_count=len(plan.lines),
        build=build,
        now=now,
        retention=deps.retention,
    )
    return Checkout(order, judged.cart, judged.warnings)


async def _call_store(
    deps: CheckoutDeps, push: CampaignPush, url: str, body: bytes, *, campaign_id: int
) -> StoreReply:
    """POST the body to the store within the deadline; log the call; raise when no answer."""
    import httpx  # only once a store is called (see services/outbound.py)

    headers = {"Content-Type": JSON_MEDIA_TYPE, "Accept": JSON_MEDIA_TYPE}
    params: dict[str, str] = {}
    if push.auth_token is not None and push.auth_mode is PushAuthMode.URL:
        params[TOKEN_PARAMETER] = push.auth_token
    elif push.auth_token is not None:
        headers["Authorization"] = push.auth_token  # the bare token
    entry = CapturedCall(
        at=deps.clock.now(),
        method="POST",
        path=url,
        query=f"{TOKEN_PARAMETER}={REDACTED}".encode() if params else b"",
        request_headers=[(k.lower().encode(), v.encode()) for k, v in headers.items()],
        request_chunks=[body],
        request_size=len(body),
        operation_id=PUSH_CART_OPERATION,
        campaign_id=campaign_id,
        business_id=push.business_id,
    )
    connect = limits.CART_CONNECT_TIMEOUT.total_seconds()
    timeout = httpx.Timeout(deps.deadline, connect=min(connect, deps.deadline))
    started = time.perf_counter()
    try:
        # The deadline covers the whole exchange, not each phase as httpx's timeouts do.
        async with asyncio.timeout(deps.deadline):
            response = await deps.http.client.post(
                url, content=body, headers=headers, params=params, timeout=timeout
            )
    except (httpx.HTTPError, TimeoutError) as exc:
        verdict = transport_failure(exc, deps.deadline, connect)
        failure = no_answer(verdict, url)
        _log(deps.query_log, entry, status=0, headers=[], body=str(failure).encode())
        raise failure from None
    elapsed = time.perf_counter() - started
    _log(
        deps.query_log,
        entry,
        status=response.status_code,
        headers=response.headers.raw,
        body=response.content,
    )
    return StoreReply(
        response.status_code, response.headers.get("content-type"), response.content, elapsed
    )


def _log(
    writer: QueryLogWriter,
    entry: CapturedCall,
    *,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> None:
    entry.status = status
    entry.response_headers = headers
    entry.response_chunks = [body]
    entry.response_size = len(body)
    writer.record(entry)
