"""Typical seller code on the client: ``test_typing.py`` runs ``mypy --strict`` on this file."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from dbskit.client import (
    AsyncMarketClient,
    BadRequestError,
    MarketClient,
    RateLimitedError,
    RetryEvent,
    RetryPolicy,
)
from dbskit.contract.business_orders import BusinessOrderDTO, GetBusinessOrdersRequest
from dbskit.contract.enums import OrderStatus, OrderSubstatus

log = logging.getLogger("shop")


def log_retry(event: RetryEvent) -> None:
    log.info("%s: %s after attempt %d", event.operation_id, event.action, event.attempt)


def deliver_paid_keys(client: MarketClient, business_id: int, keys: dict[int, list[str]]) -> int:
    delivered = 0
    request = GetBusinessOrdersRequest(statuses=[OrderStatus.PROCESSING], fake=True)
    for order in client.business_orders(business_id=business_id, request=request):
        if order.delivery.type != "DIGITAL":
            continue
        try:
            client.provide_order_digital_codes(
                campaign_id=order.campaign_id,
                order_id=order.order_id,
                keys={item.id: keys[item.id] for item in order.items},
                slip="Redeem in the app",
                activate_till=date(2030, 12, 31),
            )
        except BadRequestError as error:
            log.warning("order %d: %s", order.order_id, [e.message for e in error.errors])
            continue
        delivered += 1
    return delivered


def ship(client: MarketClient, campaign_id: int, order_id: int) -> OrderSubstatus:
    client.set_order_delivery_track_code(
        campaign_id=campaign_id, order_id=order_id, track_code="RA123", delivery_service_id=99
    )
    answer = client.update_order_status(
        campaign_id=campaign_id, order_id=order_id, status=OrderStatus.DELIVERY
    )
    return answer.order.substatus


async def waiting_cancellations(client: AsyncMarketClient, business_id: int) -> list[int]:
    waiting: list[int] = []
    async for page in client.business_order_pages(
        business_id=business_id, waiting_for_cancellation_approve=True
    ):
        order: BusinessOrderDTO
        for order in page.orders:
            waiting.append(order.order_id)
    return waiting


async def main(api_key: str, business_id: int) -> None:
    policy = RetryPolicy(max_wait_seconds=5)
    async with AsyncMarketClient(api_key=api_key, retry=policy, on_retry=log_retry) as client:
        try:
            for order_id in await waiting_cancellations(client, business_id):
                log.info("buyer waits: %d", order_id)
        except RateLimitedError as error:
            log.error("limit %s until %s", "hourly" if error.hourly else "parallel", error.reset_at)
    with MarketClient(api_key=api_key) as sync_client:
        services = sync_client.get_delivery_services().result.delivery_service
        log.info("%d services", len(services))


if __name__ == "__main__":
    asyncio.run(main("ACMA:...", 10000001))
