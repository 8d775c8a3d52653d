"""Budgets, windows and texts of the request limits (R-083..R-086, C-01, C-02, OQ-15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dbskit.contract import limits
from dbskit.contract.operations import OPERATIONS, Profile, operation
from dbskit.market.domain.rate_limits import (
    budget_for,
    budgets_for,
    counter_key,
    period_text,
    rfc822,
    window_end,
    window_of,
)

MSK = timezone(timedelta(hours=3))

SEED_FIGURES = {
    "provideOrderDigitalCodes": (limits.SEED_HOURLY_LIMIT, 2),
    "setOrderDeliveryTrackCode": (limits.SEED_HOURLY_LIMIT, 2),
    "provideOrderItemIdentifiers": (limits.SEED_HOURLY_LIMIT, 2),
    "getOrderIdentifiersStatus": (limits.SEED_HOURLY_LIMIT, 2),
    "getOrder": (limits.SEED_HOURLY_LIMIT, 2),
    "getOrders": (limits.SEED_HOURLY_LIMIT, 2),
    "updateOrderStatus": (limits.SEED_HOURLY_LIMIT, 2),
    "getDeliveryServices": (limits.DELIVERY_SERVICES_HOURLY_LIMIT, 2),
    # Methods only the 2026 spec has: its figures under both profiles.
    "getBusinessOrders": (10_000, 6),
    "acceptOrderCancellation": (500, 2),
}
SPEC_2026_FIGURES = {
    "provideOrderDigitalCodes": (10_000, 6),
    "setOrderDeliveryTrackCode": (10_000, 2),
    "provideOrderItemIdentifiers": (10_000, 2),
    "getOrderIdentifiersStatus": (1_000, 2),
    "getOrder": (10_000, 6),
    "getOrders": (10_000, 6),
    "updateOrderStatus": (10_000, 2),
    "getDeliveryServices": (5_000, 2),
    "getBusinessOrders": (10_000, 6),
    "acceptOrderCancellation": (500, 2),
}


def test_seed_figures_are_100000_per_hour_and_2_parallel() -> None:
    budgets = budgets_for(Profile.SEED)
    assert {op: (b.per_window, b.parallel) for op, b in budgets.items()} == SEED_FIGURES
    assert limits.SEED_HOURLY_LIMIT == 100_000


def test_2026_figures_follow_the_spec() -> None:
    budgets = budgets_for(Profile.SPEC_2026)
    assert {op: (b.per_window, b.parallel) for op, b in budgets.items()} == SPEC_2026_FIGURES


def test_overrides_replace_one_operation_and_parallel_replaces_all() -> None:
    budgets = budgets_for(Profile.SPEC_2026, overrides={"getOrder": 3}, parallel=4)
    assert (budgets["getOrder"].per_window, budgets["getOrder"].parallel) == (3, 4)
    assert (budgets["getOrders"].per_window, budgets["getOrders"].parallel) == (10_000, 4)


def test_resource_and_messages() -> None:
    budget = budget_for(operation("provideOrderDigitalCodes"), Profile.SEED)
    assert budget.resource == "/campaigns/{campaignId}/orders/{orderId}/deliverDigitalGoods"
    assert budget.exceeded_message == (
        "Hit rate limit of 100000 requests per 1 hour for resource "
        "/campaigns/{campaignId}/orders/{orderId}/deliverDigitalGoods"
    )
    assert budget.parallel_message == "Hit rate limit of 2 parallel requests"


@pytest.mark.parametrize(
    ("window", "text"),
    [
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(days=1), "1 day"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(seconds=90), "90 seconds"),
    ],
)
def test_period_text(window: timedelta, text: str) -> None:
    assert period_text(window) == text


@pytest.mark.parametrize(
    ("now", "end"),
    [
        pytest.param(
            datetime(2018, 7, 9, 23, 42, 42, tzinfo=UTC),
            datetime(2018, 7, 10, 0, 0, tzinfo=UTC),
            id="mid-hour",
        ),
        pytest.param(
            datetime(2018, 7, 10, 0, 0, tzinfo=UTC),
            datetime(2018, 7, 10, 1, 0, tzinfo=UTC),
            id="on-the-hour-starts-a-window",
        ),
        pytest.param(
            datetime(2018, 7, 10, 0, 59, 59, 999_999, tzinfo=UTC),
            datetime(2018, 7, 10, 1, 0, tzinfo=UTC),
            id="last-microsecond",
        ),
        pytest.param(
            datetime(2018, 7, 10, 5, 30, tzinfo=MSK),
            datetime(2018, 7, 10, 3, 0, tzinfo=UTC),
            id="any-offset",
        ),
    ],
)
def test_windows_are_aligned_to_the_hour(now: datetime, end: datetime) -> None:
    assert window_end(window_of(now)) == end
    assert window_of(end) == window_of(now) + 1


def test_until_is_rfc822_as_documented() -> None:
    # The docs' example "Thu, 10 Jul 2018 00:42:42 GMT" names the wrong weekday: it was a Tuesday.
    assert rfc822(datetime(2018, 7, 10, 0, 42, 42, tzinfo=UTC)) == "Tue, 10 Jul 2018 00:42:42 GMT"
    assert rfc822(datetime(2018, 7, 10, 3, 42, 42, tzinfo=MSK)) == ("Tue, 10 Jul 2018 00:42:42 GMT")


def test_counter_keys_per_campaign_or_per_business() -> None:
    budgets = budgets_for(Profile.SEED)
    assert counter_key(budgets["getOrder"], campaign_id=7, business_id=1) == "getOrder:campaign:7"
    assert counter_key(budgets["getDeliveryServices"], campaign_id=None, business_id=1) == (
        "getDeliveryServices:business:1"
    )
    with pytest.raises(ValueError, match="campaign_id is required"):
        counter_key(budgets["getOrder"], campaign_id=None, business_id=1)
    with pytest.raises(ValueError, match="business_id is required"):
        counter_key(budgets["getDeliveryServices"], campaign_id=None, business_id=None)


def test_every_operation_has_a_budget() -> None:
    assert set(budgets_for(Profile.SEED)) == {op.operation_id for op in OPERATIONS}


def test_overrides_must_name_known_operations() -> None:
    from pydantic import ValidationError

    from dbskit.settings import Settings

    with pytest.raises(ValidationError, match="unknown operationId getOrdr"):
        Settings(limit_overrides={"getOrdr": 5})
    with pytest.raises(ValidationError, match="limits must not be negative: getOrder"):
        Settings(limit_overrides={"getOrder": -1})
    assert Settings(limit_overrides={"getOrder": 0}).limit_overrides == {"getOrder": 0}


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({}, "in this process"),
        ({"workers": 3}, "in each of the 3 workers apart (--redis-url shares them)"),
        ({"workers": 3, "redis_url": "redis://u:pw@cache:6379/0"}, "redis://***@cache:6379/0"),
    ],
)
def test_serve_says_where_limits_are_counted(values: dict[str, object], shown: str) -> None:
    from dbskit.cli.serve import limit_counters
    from dbskit.settings import Settings

    assert limit_counters(Settings(**values)) == shown  # type: ignore[arg-type]
