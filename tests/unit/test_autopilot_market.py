"""The autopilot's reads of an order: test and real orders both found, also when jobs read at
once, and an order neither read finds read again, then listed for the seller
(docs/decisions.md, "Orders the Market does not list")."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from dbskit.client import AsyncMarketClient
from dbskit.contract.business_orders import BusinessOrderDTO, GetBusinessOrdersResponse
from dbskit.contract.notifications import NotificationType
from dbskit.database.db import Database
from dbskit.settings import Settings
from dbskit.shop.autopilot import decisions
from dbskit.shop.autopilot.market import StoreMarket
from dbskit.shop.autopilot.order_job import NOT_LISTED_ATTEMPTS, Autopilot, job_payload
from dbskit.shop.autopilot.slips import SlipTemplates
from dbskit.shop.storage import orders
from dbskit.shop.storage.database import open_store_database
from dbskit.shop.storage.jobs import Job
from dbskit.shop.worker import Done, RetryLater

BUSINESS_ID = 5
CAMPAIGN_ID = 3
AT = datetime(2030, 3, 2, 6, 0, tzinfo=UTC)


def sandbox_order(order_id: int) -> BusinessOrderDTO:
    return BusinessOrderDTO.model_validate(
        {
            "orderId": order_id,
            "campaignId": CAMPAIGN_ID,
            "programType": "DBS",
            "status": "PROCESSING",
            "substatus": "STARTED",
            "creationDate": AT.isoformat(),
            "updateDate": AT.isoformat(),
            "paymentType": "PREPAID",
            "paymentMethod": "YANDEX",
            "fake": True,
            "items": [{"id": 1, "offerId": "game-1", "offerName": "Game", "count": 1}],
            "prices": {},
            "delivery": {
                "type": "DIGITAL",
                "serviceName": "Digital",
                "deliveryServiceId": 1,
                "deliveryPartnerType": "SHOP",
                "dispatchType": "UNKNOWN",
                "dates": {"fromDate": "2030-03-02"},
                "estimated": False,
                "digitalGoods": {"type": "EMAIL"},
            },
            "buyerType": "PERSON",
            "cancelRequested": False,
            "sourcePlatform": "MARKET",
        }
    )


class CabinetOfTestOrders:
    """getBusinessOrders of a cabinet whose orders are all test orders: listed only when asked
    for with ``fake`` (R-108). The answer to the first read of ``held`` waits for ``release``."""

    def __init__(self, test_orders: set[int], held: int | None = None) -> None:
        self.test_orders = test_orders
        self.held = held
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self.reads: list[tuple[int, bool]] = []

    async def get_business_orders(
        self, *, business_id: int, order_ids: list[int], fake: bool | None
    ) -> GetBusinessOrdersResponse:
        assert business_id == BUSINESS_ID
        (order_id,) = order_ids
        first_of_held = order_id == self.held and not any(o == order_id for o, _ in self.reads)
        self.reads.append((order_id, bool(fake)))
        if first_of_held:
            self.holding.set()
            await self.release.wait()
        listed = [sandbox_order(order_id)] if fake and order_id in self.test_orders else []
        return GetBusinessOrdersResponse.model_validate({"orders": listed, "paging": {}})


def store_market(fake: CabinetOfTestOrders) -> StoreMarket:
    return StoreMarket(cast(AsyncMarketClient, fake), BUSINESS_ID)


@pytest.mark.decision("Orders the Market does not list")
async def test_two_jobs_reading_at_once_both_find_their_test_orders() -> None:
    # Job A asks for real orders first and its answer is held; job B meanwhile finds its order
    # among the test orders, so test orders come first from then on. A's second read must still
    # ask for the test orders, the kind its first read did not ask for.
    fake = CabinetOfTestOrders({1, 2}, held=1)
    market = store_market(fake)
    job_a = asyncio.create_task(market.read_order(1))
    await fake.holding.wait()
    found_b = await market.read_order(2)
    fake.release.set()
    found_a = await job_a
    assert found_b.order is not None and found_b.order.order_id == 2
    assert found_a.order is not None and found_a.order.order_id == 1
    assert [fake_ for order_id, fake_ in fake.reads if order_id == 1] == [False, True]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_store_database(Settings(data_dir=tmp_path))
    yield database
    database.dispose()


def order_job(order_id: int, attempts: int) -> Job:
    payload: dict[str, Any] = job_payload(
        notification_type=NotificationType.ORDER_CREATED,
        order_id=order_id,
        campaign_id=CAMPAIGN_ID,
        event_at=AT,
        status=None,
    )
    return Job(1, "order", f"order:{order_id}", payload, attempts, None)


@pytest.mark.decision("Orders the Market does not list")
async def test_an_order_not_listed_is_read_again_then_listed_for_the_seller(
    db: Database,
) -> None:
    fake = CabinetOfTestOrders(set())
    autopilot = Autopilot(
        database=db,
        market=store_market(fake),
        unconfigured_reason=None,
        slips=SlipTemplates(),
        policy="seller",
    )
    for attempt in range(1, NOT_LISTED_ATTEMPTS):
        outcome = await autopilot.run(order_job(9, attempt))
        assert outcome == RetryLater(decisions.REASON_NOT_LISTED)
        assert orders.list_orders(db, needs_seller=True) == []
    outcome = await autopilot.run(order_job(9, NOT_LISTED_ATTEMPTS))
    assert outcome == Done(decisions.REASON_NOT_LISTED)
    (listed,) = orders.list_orders(db, needs_seller=True)
    assert (listed.order_id, listed.campaign_id) == (9, CAMPAIGN_ID)
    assert listed.needs_seller == decisions.REASON_NOT_LISTED
    # Every claim read both kinds of order.
    assert len(fake.reads) == 2 * NOT_LISTED_ATTEMPTS
