"""The 5.5 s guard (R-037, R-051): late computing answers the last answer for the same basket
and region, or 500 — never a made-up ``count: 0``. The budget is shortened for the test, and
every basket is treated as large work (computed in a worker thread under the guard)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from dbskit.contract.cart import CartAnswer, CartRequest
from dbskit.shop.cart import answer_cart
from dbskit.store_data.data import StoreData
from tests.cart_factories import MOSCOW, ST_PETERSBURG, cart_body, line
from tests.http.shop.conftest import store_error

BUDGET = 0.1
HANG = 60  # seconds: only a hang detector, never reached when the guard works


class SwitchableResponder:
    """The real responder, made to wait on demand until the test lets it go: an answer that
    arrives while it still waits was given by the guard, whatever the machine's speed."""

    def __init__(self) -> None:
        self.slow = False
        self.may_finish = threading.Event()
        self.finished = threading.Event()

    def __call__(self, request: CartRequest, data: StoreData, now: datetime) -> CartAnswer:
        if self.slow:
            assert self.may_finish.wait(HANG), "the test never let the computation finish"
        try:
            return answer_cart(request, data, now)
        finally:
            self.finished.set()

    def finish(self) -> None:
        """Let the held computation go on, and wait until it has."""
        self.may_finish.set()
        assert self.finished.wait(HANG), "the computation never finished"


pytestmark = [
    pytest.mark.parametrize("store_overrides", [{"store_cart_budget_seconds": BUDGET}]),
]

LATE = store_error(
    "DEADLINE_EXCEEDED", "the answer could not be computed in time and none was computed before"
)


@pytest.fixture
def inline_work_max() -> int:
    return 0


@pytest.fixture
def responder() -> Iterator[SwitchableResponder]:
    responder = SwitchableResponder()
    yield responder
    responder.may_finish.set()  # no worker thread left waiting


@pytest.mark.rule("R-037", "R-068")
@pytest.mark.decision("POST /cart")
async def test_late_without_a_previous_answer_is_500(
    store_client: httpx.AsyncClient, push_headers: dict[str, str], responder: SwitchableResponder
) -> None:
    responder.slow = True
    response = await store_client.post(
        "/cart", json=cart_body(MOSCOW, line("phone-nova-x1")), headers=push_headers
    )
    assert not responder.finished.is_set()  # answered while the computation still ran
    assert (response.status_code, response.json()) == (500, LATE)


@pytest.mark.rule("R-037")
@pytest.mark.decision("POST /cart")
async def test_late_answers_the_last_answer_for_the_same_basket_and_region(
    store_client: httpx.AsyncClient, push_headers: dict[str, str], responder: SwitchableResponder
) -> None:
    basket = cart_body(MOSCOW, line("phone-nova-x1"), line("kettle-aqua-17", 2))
    fresh = await store_client.post("/cart", json=basket, headers=push_headers)
    assert fresh.status_code == 200

    responder.slow = True
    responder.finished.clear()
    late = await store_client.post("/cart", json=basket, headers=push_headers)
    assert not responder.finished.is_set()  # answered while the computation still ran
    assert (late.status_code, late.json()) == (200, fresh.json())

    other_count = cart_body(MOSCOW, line("phone-nova-x1"), line("kettle-aqua-17", 3))
    other_region = cart_body(ST_PETERSBURG, line("phone-nova-x1"), line("kettle-aqua-17", 2))
    for body in (other_count, other_region):
        response = await store_client.post("/cart", json=body, headers=push_headers)
        assert (response.status_code, response.json()) == (500, LATE)


@pytest.mark.decision("POST /cart")
async def test_a_late_computation_still_refreshes_the_remembered_answer(
    store_client: httpx.AsyncClient, push_headers: dict[str, str], responder: SwitchableResponder
) -> None:
    responder.slow = True
    basket = cart_body(MOSCOW, line("headphones-wave"))
    first = await store_client.post("/cart", json=basket, headers=push_headers)
    assert first.status_code == 500
    responder.slow = False
    await asyncio.to_thread(responder.finish)  # the first computation ends in its worker thread
    second = await store_client.post("/cart", json=basket, headers=push_headers)
    assert second.status_code == 200
    assert second.json()["cart"]["items"] == [
        {
            "feedId": 200100,
            "offerId": "headphones-wave",
            "count": 1,
            "delivery": True,
            "sellerInn": "7712345671",
        }
    ]
