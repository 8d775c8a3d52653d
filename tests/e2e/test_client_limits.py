"""The client and the request limits against a real ``dbskit serve``: the hourly 420 after a
sandbox clock jump (timed by the answer's ``Date``), the parallel 420, and the client's cap."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from dbskit.client import (
    Action,
    AsyncMarketClient,
    MarketClient,
    RateLimitedError,
    Reason,
    RetryEvent,
    RetryPolicy,
)
from tests.e2e.server import SandboxSeller, Server, running_server, sandbox_seller

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-client-limits-token"
SANDBOX = {"Sandbox-Token": TOKEN}
HOURLY = 2  # --limit-overrides for getDeliveryServices
CONCURRENT_CALLS = 16


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("client-limits")
    overrides = json.dumps({"getDeliveryServices": HOURLY})
    args = ["--data-dir", str(data_dir), "--sandbox-token", TOKEN, "--limit-overrides", overrides]
    with running_server([*args, "--parallel-limit", "1"], ready_headers=SANDBOX) as running:
        yield running


def _move_clock_to_next_day(server: Server, *, hour: int, minute: int, second: int) -> datetime:
    """The sandbox clock moved forward to ``hour:minute:second`` UTC of the day after its now."""
    now = httpx.get(server.base_url + "/sandbox/clock", headers=SANDBOX).json()["now"]
    day = datetime.fromisoformat(now.replace("Z", "+00:00")).date() + timedelta(days=1)
    target = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
    moved = httpx.post(
        server.base_url + "/sandbox/clock",
        json={"now": target.isoformat()},
        headers=SANDBOX,
    )
    assert moved.status_code == 200, moved.text
    return target


def _spend_budget(client: MarketClient) -> None:
    for _ in range(HOURLY):
        client.get_delivery_services()


@pytest.mark.rule("R-084", "R-085")
@pytest.mark.decision("The client and request limits")
def test_an_hourly_420_near_the_window_end_is_waited_out_by_the_answers_date(
    limited: Server,
) -> None:
    seller = sandbox_seller(limited.base_url, TOKEN)
    events: list[RetryEvent] = []
    target = _move_clock_to_next_day(limited, hour=10, minute=59, second=57)
    policy = RetryPolicy(max_wait_seconds=10)
    with MarketClient(
        api_key=seller.api_key, base_url=limited.base_url, retry=policy, on_retry=events.append
    ) as client:
        _spend_budget(client)
        answer = client.get_delivery_services()  # 420 until 11:00 of the sandbox day, then 200
    assert answer.result.delivery_service
    assert [(e.reason, e.action) for e in events] == [(Reason.HOURLY_LIMIT, Action.RETRY)]
    # The wait is Until (11:00:00) minus the answer's Date, both on the sandbox clock: seconds,
    # where the wall clock would put the window's end a day or more away.
    assert (
        0
        < events[0].delay_seconds
        <= (target.replace(minute=0, second=0) + timedelta(hours=1) - target).total_seconds()
    )


@pytest.mark.rule("R-084", "R-085")
@pytest.mark.decision("The client and request limits")
def test_an_hourly_420_far_from_the_window_end_raises_at_once_with_the_reset_time(
    limited: Server,
) -> None:
    seller = sandbox_seller(limited.base_url, TOKEN)
    events: list[RetryEvent] = []
    target = _move_clock_to_next_day(limited, hour=10, minute=30, second=0)
    with MarketClient(
        api_key=seller.api_key, base_url=limited.base_url, on_retry=events.append
    ) as client:
        _spend_budget(client)
        with pytest.raises(RateLimitedError) as raised:
            client.get_delivery_services()
    error = raised.value
    assert (error.status_code, error.hourly) == (420, True)
    assert error.reset_at == target.replace(hour=11, minute=0)
    assert error.rate_limit.remaining == 0
    assert error.errors[0].message == (
        f"Hit rate limit of {HOURLY} requests per 1 hour for resource /delivery/services"
    )
    assert [(e.reason, e.action) for e in events] == [(Reason.HOURLY_LIMIT, Action.RAISE)]
    # One Date, from the sandbox clock, on the answer the wait was computed from.
    dates = [value for name, value in error.headers.items() if name.lower() == "date"]
    assert len(dates) == 1
    assert parsedate_to_datetime(dates[0]).date() == target.date()


@pytest.mark.decision("The Date header")
def test_every_answer_carries_one_date_from_the_sandbox_clock(limited: Server) -> None:
    seller = sandbox_seller(limited.base_url, TOKEN)
    target = _move_clock_to_next_day(limited, hour=8, minute=0, second=0)
    for path, headers in (
        ("/v2/delivery/services", {"Api-Key": seller.api_key}),
        ("/v2/delivery/services", {}),  # a 401
        ("/sandbox/clock", SANDBOX),
        ("/store/health-of-nothing", {}),
    ):
        answer = httpx.get(limited.base_url + path, headers=headers)
        dates = answer.headers.get_list("date")
        assert len(dates) == 1, (path, dates)
        assert parsedate_to_datetime(dates[0]).date() == target.date(), (path, dates)


# The same track again changes nothing (OQ-06). A write waits on the server for its batch's
# COMMIT, so calls sent together are in flight there together; a page of orders is read on the
# server's loop in one go and would rarely overlap another.
TRACK_CODE = "TRK-LIMITS-1"
TRACK_SERVICE_ID = 51


async def _concurrent_calls(
    base_url: str, seller: SandboxSeller, *, max_concurrency: int, events: list[RetryEvent]
) -> int:
    async with AsyncMarketClient(
        api_key=seller.api_key,
        base_url=base_url,
        max_concurrency=max_concurrency,
        retry=RetryPolicy(max_retries=20),
        on_retry=events.append,
    ) as client:
        answers = await asyncio.gather(
            *[
                client.set_order_delivery_track_code(
                    campaign_id=seller.campaign_id,
                    order_id=seller.order_ids[0],
                    track_code=TRACK_CODE,
                    delivery_service_id=TRACK_SERVICE_ID,
                )
                for _ in range(CONCURRENT_CALLS)
            ]
        )
    return len(answers)


@pytest.mark.rule("R-086")
@pytest.mark.decision("The client and request limits")
def test_a_parallel_420_is_retried_when_the_client_allows_more_than_the_limit(
    limited: Server,
) -> None:
    seller = sandbox_seller(limited.base_url, TOKEN, orders=1)
    events: list[RetryEvent] = []
    # Calls overlap on the server only as its work allows: a few rounds until one is refused.
    for _ in range(5):
        answered = asyncio.run(
            _concurrent_calls(
                limited.base_url, seller, max_concurrency=CONCURRENT_CALLS, events=events
            )
        )
        assert answered == CONCURRENT_CALLS
        if events:
            break
    assert events, "no call was refused for the parallel limit"
    assert {(e.reason, e.action) for e in events} == {(Reason.PARALLEL_LIMIT, Action.RETRY)}
    assert {e.detail for e in events} == {"Hit rate limit of 1 parallel requests"}


@pytest.mark.rule("R-086")
@pytest.mark.decision("The client and request limits")
def test_the_clients_cap_keeps_its_own_calls_under_the_parallel_limit(limited: Server) -> None:
    seller = sandbox_seller(limited.base_url, TOKEN, orders=1)
    events: list[RetryEvent] = []
    answered = asyncio.run(
        _concurrent_calls(limited.base_url, seller, max_concurrency=1, events=events)
    )
    assert answered == CONCURRENT_CALLS

    def one_call(client: MarketClient) -> str:
        return client.set_order_delivery_track_code(
            campaign_id=seller.campaign_id,
            order_id=seller.order_ids[0],
            track_code=TRACK_CODE,
            delivery_service_id=TRACK_SERVICE_ID,
        ).status

    with (
        MarketClient(
            api_key=seller.api_key,
            base_url=limited.base_url,
            max_concurrency=1,
            on_retry=events.append,
        ) as client,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        counts = list(pool.map(one_call, [client] * CONCURRENT_CALLS))
    assert counts == ["OK"] * CONCURRENT_CALLS
    assert events == []
