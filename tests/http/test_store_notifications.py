"""POST /notification of the store (R-113..R-117): the answers, repeats, unreadable bodies and
the source allowlist, over ASGI on the store alone and mounted at /store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbskit import __version__
from dbskit.contract.notifications import NotificationType
from dbskit.settings import Settings
from dbskit.shop.app import build_store_service, create_store_app
from dbskit.shop.notification_parsing import MODELS
from dbskit.shop.notifications import StoreNotifications
from dbskit.shop.storage.jobs import pending_summary
from dbskit.shop.storage.notifications import list_received
from tests.cart_factories import MONDAY_10_MSK, fixed_clock
from tests.notification_schemas import NOTIFICATION_SPEC, assert_valid_notification
from tests.reference import require_reference

DUPLICATES = "Repeated notifications"
SOURCES = "Notification sources"
UNREADABLE = "Unreadable notifications"
AT = "2026-12-07T10:00:00.250Z"

# One body of each type, with the fields the notification spec requires.
SAMPLES: dict[NotificationType, dict[str, Any]] = {
    NotificationType.PING: {"time": AT},
    NotificationType.ORDER_CREATED: {
        "orderId": 11,
        "campaignId": 21,
        "items": [{"offerId": "game-1", "count": 2}],
        "createdAt": AT,
    },
    NotificationType.ORDER_CANCELLED: {
        "orderId": 11,
        "campaignId": 21,
        "items": [{"offerId": "game-1", "count": 2}],
        "cancelledAt": AT,
    },
    NotificationType.ORDER_STATUS_UPDATED: {
        "orderId": 11,
        "campaignId": 21,
        "status": "PROCESSING",
        "substatus": "STARTED",
        "updatedAt": AT,
    },
    NotificationType.ORDER_RETURN_CREATED: {
        "orderId": 11,
        "returnId": 5,
        "returnType": "RETURN",
        "campaignId": 21,
        "items": [{"offerId": "game-1", "count": 1}],
        "createdAt": AT,
    },
    NotificationType.ORDER_CANCELLATION_REQUEST: {
        "orderId": 11,
        "campaignId": 21,
        "requestedAt": AT,
    },
    NotificationType.ORDER_RETURN_STATUS_UPDATED: {
        "orderId": 11,
        "returnId": 5,
        "campaignId": 21,
        "statuses": {"refundStatus": "REFUNDED"},
        "updatedAt": AT,
    },
    NotificationType.ORDER_UPDATED: {
        "orderId": 11,
        "campaignId": 21,
        "updateType": "DELIVERY_DATE_UPDATED",
        "updatedAt": AT,
    },
    NotificationType.GOODS_FEEDBACK_CREATED: {
        "feedbackId": 7,
        "businessId": 3,
        "createdAt": AT,
        "publishedAt": AT,
    },
    NotificationType.GOODS_FEEDBACK_COMMENT_CREATED: {
        "commentId": 8,
        "businessId": 3,
        "createdAt": AT,
    },
    NotificationType.CHAT_CREATED: {"chatId": 9, "businessId": 3, "createdAt": AT},
    NotificationType.CHAT_MESSAGE_SENT: {
        "chatId": 9,
        "messageId": "m-1",
        "businessId": 3,
        "sentAt": AT,
    },
    NotificationType.CHAT_ARBITRAGE_STARTED: {"chatId": 9, "businessId": 3, "startedAt": AT},
    NotificationType.CHAT_ARBITRAGE_FINISHED: {"chatId": 9, "businessId": 3, "finishedAt": AT},
    NotificationType.QUESTION_CREATED: {"questionId": 4, "businessId": 3, "createdAt": AT},
    NotificationType.QUESTION_ANSWER_CREATED: {"answerId": 5, "businessId": 3, "createdAt": AT},
    NotificationType.QUESTION_COMMENT_CREATED: {
        "answerId": 5,
        "commentId": 6,
        "businessId": 3,
        "createdAt": AT,
    },
}


def sample(kind: NotificationType, **changes: Any) -> dict[str, Any]:
    return {"notificationType": kind.value, **SAMPLES[kind], **changes}


def accepted() -> dict[str, Any]:
    """R-115: the store's 200, its time the store's clock (fixed here)."""
    return {
        "version": __version__,
        "name": "dbskit store",
        "time": MONDAY_10_MSK.isoformat().replace("+00:00", "Z"),
    }


def refused(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


@pytest.fixture
def store_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
async def desk(store_settings: Settings) -> AsyncIterator[StoreNotifications]:
    # No worker in the background: these tests look at what the answer leaves behind.
    notifications = StoreNotifications(store_settings, clock=fixed_clock(), start_worker=False)
    yield notifications
    await notifications.close()


async def store_client(
    desk: StoreNotifications, client: tuple[str, int] = ("127.0.0.1", 40000)
) -> AsyncIterator[httpx.AsyncClient]:
    service = build_store_service(desk.settings, clock=fixed_clock())
    app = create_store_app(service, notifications=desk)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://store.test") as http:
            yield http


@pytest.fixture
async def store(desk: StoreNotifications) -> AsyncIterator[httpx.AsyncClient]:
    async for http in store_client(desk):
        yield http


async def post(http: httpx.AsyncClient, body: dict[str, Any] | bytes) -> httpx.Response:
    content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
    return await http.post(
        "/notification", content=content, headers={"Content-Type": "application/json"}
    )


@pytest.mark.rule("R-115", "R-117")
async def test_ping_is_answered_without_the_database(
    store: httpx.AsyncClient, store_settings: Settings
) -> None:
    answer = await post(store, sample(NotificationType.PING))
    assert (answer.status_code, answer.json()) == (200, accepted())
    assert answer.headers["content-type"] == "application/json"
    assert not (store_settings.data_dir / "store.sqlite3").exists()


@pytest.mark.rule("R-114", "R-115")
@pytest.mark.parametrize("kind", list(NotificationType))
async def test_every_notification_type_is_taken(
    store: httpx.AsyncClient, desk: StoreNotifications, kind: NotificationType
) -> None:
    answer = await post(store, sample(kind, someFieldTheMarketAddedLater=1))
    assert (answer.status_code, answer.json()) == (200, accepted())
    if kind is not NotificationType.PING:
        kept = list_received(await desk.database())
        assert [(note.type, note.body) for note in kept] == [
            (kind.value, sample(kind) | _as_parsed(kind))
        ]


def _as_parsed(kind: NotificationType) -> dict[str, Any]:
    """Times as the models write them back (UTC, 'Z')."""
    return {
        name: "2026-12-07T10:00:00.250000Z" for name, value in SAMPLES[kind].items() if value == AT
    }


@pytest.mark.rule("R-114")
@pytest.mark.parametrize("kind", list(NotificationType))
def test_the_models_require_what_the_spec_requires(kind: NotificationType) -> None:
    import yaml

    from tests.notification_schemas import dto_of

    spec = yaml.safe_load(require_reference(NOTIFICATION_SPEC).read_text(encoding="utf-8"))
    assert_valid_notification(sample(kind))
    schema = spec["components"]["schemas"][dto_of(kind.value)]
    model = MODELS[kind]
    required = {
        field.alias or name for name, field in model.model_fields.items() if field.is_required()
    }
    assert required == set(schema.get("required", ["notificationType"])) | (
        {"time"} if kind is NotificationType.PING else set()
    )


@pytest.mark.rule("R-115")
@pytest.mark.decision(UNREADABLE)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"notificationType": "ORDER_SHIPPED", "orderId": 1},
            'notificationType "ORDER_SHIPPED" is not a notification type the store knows',
        ),
        ({"orderId": 1}, "Field notificationType is missing"),
        (b"{not json", "The body is not a JSON document: "),
        (b"", "The body is empty: a notification is a JSON object"),
        (b"[1, 2]", "The body is not a JSON object"),
        (
            {"notificationType": "ORDER_CREATED", "orderId": 1, "campaignId": 2, "items": []},
            "Missing field createdAt",
        ),
    ],
)
async def test_unreadable_notifications_get_wrong_event_format(
    store: httpx.AsyncClient, body: dict[str, Any] | bytes, message: str
) -> None:
    answer = await post(store, body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "WRONG_EVENT_FORMAT"
    assert error["message"].startswith(message)
    assert set(answer.json()) == {"error"}


@pytest.mark.rule("R-117")
@pytest.mark.decision(DUPLICATES)
async def test_a_repeat_is_answered_200_and_queued_once(
    store: httpx.AsyncClient, desk: StoreNotifications
) -> None:
    first = sample(NotificationType.ORDER_CREATED)
    # The same event with its time written differently is the same event.
    again = sample(NotificationType.ORDER_CREATED, createdAt="2026-12-07T13:00:00.25+03:00")
    for body in (first, again, first):
        answer = await post(store, body)
        assert (answer.status_code, answer.json()) == (200, accepted())
    db = await desk.database()
    assert len(list_received(db)) == 1
    assert pending_summary(db).pending == 1
    # Another event of the same order is not a repeat.
    later = sample(NotificationType.ORDER_CREATED, createdAt="2026-12-07T10:00:01Z")
    assert (await post(store, later)).status_code == 200
    assert pending_summary(db).pending == 2


@pytest.mark.rule("R-116")
@pytest.mark.decision("The store's notifications and key vault")
async def test_the_answer_does_not_wait_for_the_work(
    store: httpx.AsyncClient, desk: StoreNotifications
) -> None:
    """The store has no Market to call here: the answer is 200 all the same, the work queued in
    the store's database; the worker, when it runs it, puts it to wait with the reason."""
    answer = await post(store, sample(NotificationType.ORDER_STATUS_UPDATED))
    assert (answer.status_code, answer.json()) == (200, accepted())
    db = await desk.database()
    assert pending_summary(db).pending == 1
    assert await desk.worker.run_due() == 1
    waiting = pending_summary(db).waiting
    assert [job.reason for job in waiting] == [
        "the store has no Api-Key for the Market (--store-api-key)"
    ]


@pytest.mark.rule("R-113")
@pytest.mark.decision(SOURCES)
@pytest.mark.parametrize(
    ("source", "allowlist", "taken"),
    [
        ("5.45.207.10", None, True),
        ("141.8.142.127", None, True),
        ("5.255.253.1", None, True),
        ("127.0.0.1", None, True),
        ("::1", None, True),
        ("141.8.142.128", None, False),
        ("10.1.2.3", None, False),
        ("10.1.2.3", "10.1.0.0/16", True),
        ("127.0.0.1", "10.1.0.0/16", False),
        ("192.0.2.7", "any", True),
    ],
)
async def test_sources_outside_the_allowlist_get_403(
    tmp_path: Path, source: str, allowlist: str | None, taken: bool
) -> None:
    settings = Settings(data_dir=tmp_path / "data", store_notify_allowlist=allowlist)
    desk = StoreNotifications(settings, clock=fixed_clock(), start_worker=False)
    try:
        async for http in store_client(desk, client=(source, 40000)):
            answer = await post(http, sample(NotificationType.PING))
    finally:
        await desk.close()
    if taken:
        assert (answer.status_code, answer.json()) == (200, accepted())
    else:
        message = f"Notifications are not taken from {source}: not in the store's allowlist"
        assert (answer.status_code, answer.json()) == (403, refused("UNKNOWN", message))


@pytest.mark.rule("R-113", "R-115")
@pytest.mark.decision("The store's notifications and key vault")
async def test_mounted_store_takes_notifications_in_its_own_database(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ping = await client.post("/store/notification", json=sample(NotificationType.PING))
    assert ping.status_code == 200
    assert set(ping.json()) == {"version", "name", "time"}
    order = await client.post("/store/notification", json=sample(NotificationType.ORDER_CREATED))
    assert order.status_code == 200
    assert (settings.data_dir / "store.sqlite3").exists()
    # The sandbox's reset leaves the store's notifications alone.
    reset = await client.post(
        "/sandbox/reset", json={}, headers={"Sandbox-Token": "test-sandbox-token"}
    )
    assert reset.status_code == 200, reset.text
    repeat = await client.post("/store/notification", json=sample(NotificationType.ORDER_CREATED))
    assert repeat.status_code == 200
    from dbskit.shop.storage.database import open_store_database

    db = open_store_database(settings)
    try:
        assert len(list_received(db)) == 1
    finally:
        db.dispose()
