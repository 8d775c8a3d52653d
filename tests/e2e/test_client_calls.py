"""``dbskit.client`` against a real ``dbskit serve`` process: every method, every error class."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from dbskit.client import (
    AsyncMarketClient,
    AuthenticationError,
    BadRequestError,
    MarketClient,
    NotFoundError,
    PermissionDeniedError,
)
from dbskit.client._retry import repeat_found_it_done
from dbskit.contract.answers import EmptyApiResponse
from dbskit.contract.enums import OrderStatus, OrderSubstatus
from tests.e2e.server import SandboxSeller, Server, running_server, sandbox_seller

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-client-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
WRONG_KEY = "ACMA:" + "A" * 24 + ":" + "b" * 8 + ":" + "c" * 15


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("client-data")
    with running_server(
        ["--data-dir", str(data_dir), "--sandbox-token", TOKEN], ready_headers=SANDBOX
    ) as running:
        yield running


@pytest.fixture
def seller(server: Server) -> SandboxSeller:
    return sandbox_seller(server.base_url, TOKEN, orders=1)


@pytest.fixture
def client(server: Server, seller: SandboxSeller) -> Iterator[MarketClient]:
    with MarketClient(api_key=seller.api_key, base_url=server.base_url) as market:
        yield market


def _sandbox(server: Server, method: str, path: str, body: object) -> dict[str, object]:
    answer = httpx.request(method, server.base_url + path, json=body, headers=SANDBOX)
    assert answer.is_success, answer.text
    document: dict[str, object] = answer.json()
    return document


def _place(server: Server, seller: SandboxSeller, **order: object) -> tuple[int, int]:
    """A test order's id and its one item's id."""
    body = {"items": [{"offerId": "sku-2", "count": 1, "price": 990}], **order}
    placed = _sandbox(server, "POST", f"/sandbox/campaigns/{seller.campaign_id}/orders", body)
    found = placed["order"]
    assert isinstance(found, dict)
    return int(found["id"]), int(found["items"][0]["id"])


@pytest.mark.rule("R-119", "R-120")
def test_get_order_and_get_orders_warn_and_answer(
    client: MarketClient, seller: SandboxSeller
) -> None:
    with pytest.warns(DeprecationWarning, match="get_business_orders"):
        one = client.get_order(campaign_id=seller.campaign_id, order_id=seller.order_ids[0])
    assert (one.order.id, one.order.status, one.order.fake) == (
        seller.order_ids[0],
        OrderStatus.PROCESSING,
        True,
    )
    with pytest.warns(DeprecationWarning):
        listed = client.get_orders(campaign_id=seller.campaign_id, fake=True, status=["PROCESSING"])
    assert [order.id for order in listed.orders] == seller.order_ids


@pytest.mark.rule("R-120")
@pytest.mark.decision("getOrders (R-120, C-21, R-092)")
def test_order_pages_follow_the_page_token(
    server: Server, client: MarketClient, seller: SandboxSeller
) -> None:
    second, _ = _place(server, seller, delivery={"type": "DELIVERY"})
    with pytest.warns(DeprecationWarning):
        pages = list(client.order_pages(campaign_id=seller.campaign_id, fake=True, limit=1))
    assert [[order.id for order in page.orders] for page in pages] == [
        [second],
        [seller.order_ids[0]],
    ]


@pytest.mark.rule("R-120")
@pytest.mark.decision("getBusinessOrders (OQ-27)")
def test_business_order_pages_sync_and_async(
    server: Server, client: MarketClient, seller: SandboxSeller
) -> None:
    second, _ = _place(server, seller, delivery={"type": "DELIVERY"})
    pages = list(client.business_order_pages(business_id=seller.business_id, fake=True, limit=1))
    assert [[o.order_id for o in page.orders] for page in pages] == [
        [second],
        [seller.order_ids[0]],
    ]
    assert pages[-1].paging.next_page_token is None
    found = client.get_business_orders(
        business_id=seller.business_id, order_ids=[second], fake=True
    )
    assert [order.order_id for order in found.orders] == [second]

    async def collect() -> list[int]:
        async with AsyncMarketClient(api_key=seller.api_key, base_url=server.base_url) as market:
            return [
                order.order_id
                async for order in market.business_orders(
                    business_id=seller.business_id, fake=True, limit=1
                )
            ]

    assert asyncio.run(collect()) == [second, seller.order_ids[0]]


@pytest.mark.rule("R-015", "R-018", "R-104", "R-118")
@pytest.mark.decision("delivery/track (R-018..R-021, OQ-06)")
def test_track_then_status_with_a_listed_service(
    client: MarketClient, seller: SandboxSeller
) -> None:
    services = client.get_delivery_services().result.delivery_service
    service_id = services[0].id
    order_id = seller.order_ids[0]
    answer = client.set_order_delivery_track_code(
        campaign_id=seller.campaign_id,
        order_id=order_id,
        track_code="RA644000001RU",
        delivery_service_id=service_id,
    )
    assert answer == EmptyApiResponse()
    moved = client.update_order_status(
        campaign_id=seller.campaign_id, order_id=order_id, status=OrderStatus.DELIVERY
    )
    assert (moved.order.status, moved.order.substatus) == (
        OrderStatus.DELIVERY,
        OrderSubstatus.DELIVERY_SERVICE_RECEIVED,
    )
    tracks = moved.order.delivery.tracks
    assert tracks is not None and [t.track_code for t in tracks] == ["RA644000001RU"]
    # OQ-23: the same status again is answered, not refused (why the client may repeat it).
    again = client.update_order_status(
        campaign_id=seller.campaign_id, order_id=order_id, status=OrderStatus.DELIVERY
    )
    assert again.order.substatus is OrderSubstatus.DELIVERY_SERVICE_RECEIVED


@pytest.mark.rule("R-029", "R-034", "R-121")
@pytest.mark.decision("PUT identifiers (R-025, R-028..R-035, C-08..C-10, OQ-07..OQ-09)")
def test_identifiers_and_their_status(
    server: Server, client: MarketClient, seller: SandboxSeller
) -> None:
    order_id, item_id = _place(server, seller, delivery={"type": "DELIVERY"})
    stored = client.provide_order_item_identifiers(
        campaign_id=seller.campaign_id, order_id=order_id, uin={item_id: ["1234567890123456"]}
    )
    instances = stored.result.items[0].instances
    assert instances is not None and [i.uin for i in instances] == ["1234567890123456"]
    status = client.get_order_identifiers_status(campaign_id=seller.campaign_id, order_id=order_id)
    assert status.result.items[0].id == item_id
    assert [u.value for u in status.result.items[0].uin or []] == ["1234567890123456"]


@pytest.mark.rule("R-004", "R-010", "OQ-01")
@pytest.mark.decision("Which calls the client repeats")
def test_keys_then_a_repeat_on_the_delivered_order(
    server: Server, client: MarketClient, seller: SandboxSeller
) -> None:
    order_id, item_id = _place(server, seller, delivery={"type": "DIGITAL"})
    arguments = {
        "campaign_id": seller.campaign_id,
        "order_id": order_id,
        "keys": {item_id: ["AAAA-BBBB"]},
        "slip": "<p>Redeem at example.com</p>",
        "activate_till": date(2030, 12, 31),
    }
    assert client.provide_order_digital_codes(**arguments) == EmptyApiResponse()  # type: ignore[arg-type]
    # OQ-01: an identical repeat while the e-mail waits is 200.
    assert client.provide_order_digital_codes(**arguments) == EmptyApiResponse()  # type: ignore[arg-type]
    _sandbox(server, "POST", "/sandbox/clock", {"advanceSeconds": 5})
    with pytest.raises(BadRequestError) as raised:
        client.provide_order_digital_codes(**arguments)  # type: ignore[arg-type]
    # What the emulator answers is what the client reads as done after a lost answer.
    codes = tuple(error.code for error in raised.value.errors)
    messages = tuple(error.message for error in raised.value.errors)
    assert codes == ("ORDER_IN_TERMINAL_STATE",)
    assert repeat_found_it_done(
        "provideOrderDigitalCodes", uncertain_before=True, codes=codes, messages=messages
    )


@pytest.mark.rule("R-102")
@pytest.mark.decision("Answering a buyer's cancellation (OQ-28)")
def test_answering_a_buyers_cancellation(
    server: Server, client: MarketClient, seller: SandboxSeller
) -> None:
    order_id, _ = _place(server, seller, delivery={"type": "DELIVERY"}, status="DELIVERY")
    path = f"/sandbox/campaigns/{seller.campaign_id}/orders/{order_id}/status"
    _sandbox(server, "POST", path, {"status": "CANCELLED", "substatus": "USER_CHANGED_MIND"})
    waiting = client.get_business_orders(
        business_id=seller.business_id, fake=True, waiting_for_cancellation_approve=True
    )
    assert [order.order_id for order in waiting.orders] == [order_id]
    answer = client.accept_order_cancellation(
        campaign_id=seller.campaign_id, order_id=order_id, accepted=False, reason="ORDER_DELIVERED"
    )
    assert answer == EmptyApiResponse()
    with pytest.raises(BadRequestError) as raised:
        client.accept_order_cancellation(
            campaign_id=seller.campaign_id, order_id=order_id, accepted=True
        )
    assert (
        raised.value.errors[0].message == f"Order {order_id} has no cancellation request to answer"
    )


@pytest.mark.rule("R-071", "R-073", "R-078", "R-082")
def test_each_refusal_is_its_own_error_class(
    server: Server, client: MarketClient, seller: SandboxSeller
) -> None:
    other = sandbox_seller(server.base_url, TOKEN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(NotFoundError) as not_found:
            client.get_order(campaign_id=seller.campaign_id, order_id=1)
        with pytest.raises(PermissionDeniedError) as denied:
            client.get_order(campaign_id=other.campaign_id, order_id=1)
        with (
            MarketClient(api_key=WRONG_KEY, base_url=server.base_url) as stranger,
            pytest.raises(AuthenticationError) as unknown,
        ):
            stranger.get_delivery_services()
    assert (not_found.value.status_code, not_found.value.errors[0].message) == (
        404,
        "Order not found: '1'",
    )
    # Calls past authentication carry the budget's headers; refused ones do not.
    assert not_found.value.rate_limit.limit is not None
    assert denied.value.status_code == 403
    assert [e.code for e in denied.value.errors] == ["FORBIDDEN"]
    assert unknown.value.status_code == 401
    assert [e.code for e in unknown.value.errors] == ["UNAUTHORIZED"]
    assert unknown.value.rate_limit.limit is None
    assert unknown.value.operation_id == "getDeliveryServices"
    assert unknown.value.request_id
    with pytest.raises(BadRequestError) as bad:
        client.set_order_delivery_track_code(
            campaign_id=seller.campaign_id,
            order_id=seller.order_ids[0],
            track_code="T",
            delivery_service_id=123456789,
        )
    assert bad.value.errors[0].message.startswith("Value of field deliveryServiceId (123456789)")


@pytest.mark.rule("R-004", "R-018", "R-029", "R-102", "R-104", "R-118", "R-119", "R-120", "R-121")
@pytest.mark.decision("The Python client (dbskit.client)")
def test_the_async_client_has_every_method(server: Server, seller: SandboxSeller) -> None:
    digital, digital_item = _place(server, seller, delivery={"type": "DIGITAL"})
    parcel, parcel_item = _place(server, seller, delivery={"type": "DELIVERY"})
    campaign = seller.campaign_id

    async def run() -> None:
        async with AsyncMarketClient(api_key=seller.api_key, base_url=server.base_url) as market:
            services = await market.get_delivery_services()
            ok = EmptyApiResponse()
            assert ok == await market.provide_order_digital_codes(
                campaign_id=campaign,
                order_id=digital,
                keys={digital_item: ["K-1"]},
                slip="s",
                activate_till=date(2030, 1, 1),
            )
            assert ok == await market.set_order_delivery_track_code(
                campaign_id=campaign,
                order_id=parcel,
                track_code="T-1",
                delivery_service_id=services.result.delivery_service[0].id,
            )
            stored = await market.provide_order_item_identifiers(
                campaign_id=campaign, order_id=parcel, uin={parcel_item: ["1234567890123456"]}
            )
            assert stored.result.items[0].id == parcel_item
            checked = await market.get_order_identifiers_status(
                campaign_id=campaign, order_id=parcel
            )
            assert checked.result.items[0].id == parcel_item
            with pytest.warns(DeprecationWarning):
                one = await market.get_order(campaign_id=campaign, order_id=parcel)
            assert one.order.id == parcel
            with pytest.warns(DeprecationWarning):
                listed = await market.get_orders(campaign_id=campaign, fake=True, limit=50)
            assert parcel in [order.id for order in listed.orders]
            with pytest.warns(DeprecationWarning):
                pages = [page async for page in market.order_pages(campaign_id=campaign, fake=True)]
            assert sum(len(page.orders) for page in pages) == len(listed.orders)
            moved = await market.update_order_status(
                campaign_id=campaign, order_id=parcel, status="DELIVERY"
            )
            assert moved.order.status is OrderStatus.DELIVERY
            path = f"/sandbox/campaigns/{campaign}/orders/{parcel}/status"
            _sandbox(
                server, "POST", path, {"status": "CANCELLED", "substatus": "USER_CHANGED_MIND"}
            )
            assert ok == await market.accept_order_cancellation(
                campaign_id=campaign, order_id=parcel, accepted=True
            )
            found = await market.get_business_orders(
                business_id=seller.business_id, order_ids=[parcel], fake=True
            )
            assert [(o.order_id, o.status) for o in found.orders] == [
                (parcel, OrderStatus.CANCELLED)
            ]
            with pytest.raises(NotFoundError):
                await market.get_order_identifiers_status(campaign_id=campaign, order_id=1)

    asyncio.run(run())
