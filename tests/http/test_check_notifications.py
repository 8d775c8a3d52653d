"""``dbskit check-notifications`` against stores on loopback: one as the spec wants it, and
stores broken on purpose, each failing the check named for its defect with the class the
outbox gives it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dbskit.checker.notification_checks import CheckResult
from dbskit.checker.notification_probes import Probe
from dbskit.checker.notification_runner import send_probes
from dbskit.checker.notifications import NotificationRun, OrderTarget, check_notifications
from dbskit.contract.notifications import NotificationType
from tests.notification_listener import closed_port_url, serve

ACCEPTED = {"version": "1.0.0", "name": "test store", "time": "2026-12-07T10:00:00Z"}
KNOWN_TYPES = frozenset(t.value for t in NotificationType)
DEFAULT = ("ping", "content-type", "answer-schema", "unknown-type", "repeat")
ORDERS = (
    "order-created",
    "order-repeat",
    "order-status-updated",
    "order-updated",
    "order-cancellation-request",
    "order-cancelled",
)


def refusal(status: int, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": f"refused: {kind}"}}, status)


@dataclass
class TestStore:
    """A store's ``POST /notification``: by default as the notification spec wants it; each
    field breaks one thing."""

    __test__ = False  # not a test class, though its name begins with Test

    answer: bytes = json.dumps(ACCEPTED).encode()
    content_type: str = "application/json"
    status: int = 200
    ping_delay: float = 0.0
    unknown: tuple[int, str] | None = (400, "WRONG_EVENT_FORMAT")  # None: answered as any other
    duplicate: tuple[int, str] | None = None  # None: a repeat is answered as the first time
    failing_types: frozenset[str] = frozenset()  # answered 500
    received: list[bytes] = field(default_factory=list)

    async def notification(self, request: Request) -> Response:
        body = await request.body()
        repeated = body in self.received
        self.received.append(body)
        kind = json.loads(body).get("notificationType")
        if kind == NotificationType.PING and self.ping_delay:
            await asyncio.sleep(self.ping_delay)
        if kind not in KNOWN_TYPES and self.unknown is not None:
            return refusal(*self.unknown)
        if repeated and self.duplicate is not None:
            return refusal(*self.duplicate)
        if kind in self.failing_types:
            return refusal(500, "UNKNOWN")
        return Response(self.answer, self.status, media_type=self.content_type)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/notification", self.notification, methods=["POST"])])


@asynccontextmanager
async def running(store: TestStore) -> AsyncIterator[str]:
    """The store on a free loopback port; yields its base URL (as configured in the Market)."""
    async with serve(wrap=lambda _listener: store.app()) as listener:
        yield listener.url


def outcome(result: CheckResult) -> tuple[str, str | None, str | None]:
    error_type = result.error_type.value if result.error_type else None
    subtype = result.error_subtype.value if result.error_subtype else None
    return result.state.value, error_type, subtype


def outcomes(run: NotificationRun) -> dict[str, tuple[str, str | None, str | None]]:
    return {result.check: outcome(result) for result in run.results}


def not_passed(run: NotificationRun) -> dict[str, tuple[str, str | None, str | None]]:
    return {k: v for k, v in outcomes(run).items() if v[0] != "PASSED"}


async def check(store: TestStore, *, orders: bool = False) -> NotificationRun:
    async with running(store) as url:
        return await check_notifications(url, orders=OrderTarget(21, 7) if orders else None)


# --- A store as the spec wants it ---------------------------------------------------------------


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-113", "R-115", "R-117", "C-13")
async def test_a_store_as_the_spec_wants_it_passes_every_default_check() -> None:
    store = TestStore()
    run = await check(store)
    assert [r.check for r in run.results] == list(DEFAULT)
    assert not_passed(run) == {}
    sent = [json.loads(body)["notificationType"] for body in store.received]
    assert sent == ["PING", "DBSKIT_CHECK_UNKNOWN_TYPE", "PING"]  # no order notification
    assert run.exchanges.url.endswith("/notification")


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-114", "R-115", "R-116", "R-117")
async def test_order_notifications_only_when_asked_for_and_then_every_type() -> None:
    store = TestStore(duplicate=(400, "DUPLICATED_EVENT"))
    run = await check(store, orders=True)
    assert [r.check for r in run.results] == [*DEFAULT, *ORDERS]
    assert not_passed(run) == {}
    sent = [json.loads(body) for body in store.received]
    assert [b["notificationType"] for b in sent[3:]] == [
        "ORDER_CREATED",
        "ORDER_CREATED",
        "ORDER_STATUS_UPDATED",
        "ORDER_UPDATED",
        "ORDER_CANCELLATION_REQUEST",
        "ORDER_CANCELLED",
    ]
    assert {(b["campaignId"], b["orderId"]) for b in sent[3:]} == {(21, 7)}
    statuses = [e.status for e in run.exchanges.exchanges]
    assert statuses == [200, 400, 400, 200, 400, 200, 200, 200, 200]


# --- Stores broken on purpose --------------------------------------------------------------------


@pytest.mark.rule("R-113")
async def test_an_answer_that_is_not_json_fails_the_content_type_check() -> None:
    run = await check(TestStore(content_type="text/plain"))
    assert not_passed(run) == {
        "content-type": ("FAILED", "CANT_GET_RESPONSE", "UNSUPPORTED_MEDIA_TYPE")
    }


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("C-13", "R-117")
async def test_a_ping_slower_than_one_second_fails_with_read_timed_out() -> None:
    run = await check(TestStore(ping_delay=1.3))
    timed_out = ("FAILED", "CANT_GET_RESPONSE", "READ_TIMED_OUT")
    not_judged = ("SKIPPED", None, None)
    assert not_passed(run) == {
        "ping": timed_out,
        "content-type": not_judged,
        "answer-schema": not_judged,
        "repeat": timed_out,  # the Market gives a repeated PING the same second
    }
    assert run.results[0].message == "No answer within 1.0 s"


@pytest.mark.rule("R-115", "R-116")
async def test_a_store_answering_500_fails_with_http() -> None:
    down = b'{"error": {"type": "UNKNOWN", "message": "the store is down"}}'
    run = await check(TestStore(status=500, answer=down))
    http = ("FAILED", "CANT_GET_RESPONSE", "HTTP")
    assert not_passed(run) == {
        "ping": http,
        "content-type": ("SKIPPED", None, None),
        "answer-schema": ("SKIPPED", None, None),
        "repeat": http,
    }
    assert run.results[0].message == "UNKNOWN: the store is down"  # the store's error, as logged


@pytest.mark.rule("R-115")
@pytest.mark.parametrize(
    ("answer", "subtype", "message"),
    [
        (b'{"version": "1.0.0", "name": "test store"}', "INVALID_DATA", "Invalid answer: time"),
        (b'{"version": "", "name": "x", "time": "2026-12-07T10:00:00Z"}', "INVALID_DATA", ""),
        (b"OK", "CANT_PARSE_RESPONSE", "The answer is not a JSON document in UTF-8"),
    ],
)
async def test_a_body_off_the_schema_fails_the_schema_check(
    answer: bytes, subtype: str, message: str
) -> None:
    run = await check(TestStore(answer=answer))
    assert not_passed(run) == {"answer-schema": ("FAILED", "INVALID_RESPONSE", subtype)}
    (schema,) = [r for r in run.results if r.check == "answer-schema"]
    assert schema.message.startswith(message)


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-115")
@pytest.mark.parametrize(
    ("unknown", "expected"),
    [
        (None, ("FAILED", None, None)),  # delivered, as far as the outbox can tell
        ((400, "UNKNOWN"), ("FAILED", "CANT_GET_RESPONSE", "HTTP")),
        ((500, "UNKNOWN"), ("FAILED", "CANT_GET_RESPONSE", "HTTP")),
    ],
)
async def test_a_store_without_400_wrong_event_format_for_unknown_types_fails_that_check(
    unknown: tuple[int, str] | None, expected: tuple[str, str | None, str | None]
) -> None:
    run = await check(TestStore(unknown=unknown))
    assert not_passed(run) == {"unknown-type": expected}


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-117")
async def test_a_repeat_refused_as_a_wrong_event_fails_the_repeat_check() -> None:
    run = await check(TestStore(duplicate=(400, "WRONG_EVENT_FORMAT")), orders=True)
    wrong = ("FAILED", "CANT_GET_RESPONSE", "HTTP")
    assert not_passed(run) == {"repeat": wrong, "order-repeat": wrong}
    (repeat,) = [r for r in run.results if r.check == "repeat"]
    assert repeat.message == (
        "answered 400 with error.type WRONG_EVENT_FORMAT; expected 200 or 400 DUPLICATED_EVENT"
    )


@pytest.mark.rule("R-114", "R-116")
async def test_an_order_type_the_store_fails_on_fails_only_its_check() -> None:
    run = await check(TestStore(failing_types=frozenset({"ORDER_CANCELLED"})), orders=True)
    assert not_passed(run) == {"order-cancelled": ("FAILED", "CANT_GET_RESPONSE", "HTTP")}


@pytest.mark.decision("check-notifications")
@pytest.mark.rule("R-113", "R-116")
async def test_a_store_that_refuses_connections_fails_with_connection_refused() -> None:
    url = closed_port_url()
    run = await check_notifications(url)
    refused = ("FAILED", "CANT_GET_RESPONSE", "CONNECTION_REFUSED")
    assert not_passed(run) == {
        "ping": refused,
        "content-type": ("SKIPPED", None, None),
        "answer-schema": ("SKIPPED", None, None),
        "unknown-type": refused,
        "repeat": refused,
    }
    port = url.rsplit(":", 1)[1]
    assert run.results[0].message == f"Connection refused by 127.0.0.1:{port}"


@pytest.mark.rule("R-116")
async def test_the_deadline_covers_the_whole_exchange() -> None:
    # The 10 s of R-116 is the same mechanism as the PING's second: shown here with a short one.
    store = TestStore(ping_delay=0.6)
    ping = Probe("slow", "PING", b'{"notificationType":"PING","time":"2026-12-07T10:00:00Z"}', 0.2)
    async with running(store) as url:
        found = await send_probes(url + "/notification", [ping])
    (exchange,) = found.exchanges
    assert exchange.status is None
    assert (exchange.verdict.error_subtype, exchange.verdict.message) == (
        "READ_TIMED_OUT",
        "No answer within 0.2 s",
    )
