"""``POST /notification``: the Market's API notifications to the store (R-113..R-117).

The answer never waits for the work. A notification is read (``notification_parsing``), kept
once by its dedup key and, for an order, a job queued for it in the same transaction
(``shop/storage``); the worker (``shop/worker.py``) does the work later, from the order as the
Market reports it. So the answer comes within the Market's deadlines (1 s for PING, 10 s for the
rest) whatever the work costs, and a notification answered 200 is never lost.

- PING: answered at once, without the database.
- A repeat (the same type and fields, R-117): answered 200 like the first, nothing queued again
  (docs/decisions.md, "Repeated notifications").
- Unreadable or of an unknown type: 400 ``WRONG_EVENT_FORMAT`` (R-115), never retried.
- From a source outside the allowlist: 403 with the same error body (docs/decisions.md,
  "Notification sources").
- The store cannot keep it (its database fails): 500 ``UNKNOWN``, and the Market retries (R-116).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from dbskit import __version__
from dbskit.clock import wall_clock
from dbskit.contract.errors import ApiError, BadRequest
from dbskit.contract.notifications import (
    NotificationAccepted,
    NotificationErrorAnswer,
    NotificationErrorDetail,
    NotificationErrorType,
    NotificationType,
)
from dbskit.database.db import Database, Transaction, UnitsOfWork
from dbskit.http_answer import JsonAnswer, json_answer
from dbskit.http_body import receive_limited
from dbskit.settings import Settings
from dbskit.shop.autopilot import decisions
from dbskit.shop.autopilot.market import StoreMarket, market_client
from dbskit.shop.autopilot.order_job import ORDER_JOB, Autopilot, job_payload
from dbskit.shop.autopilot.slips import SlipTemplates
from dbskit.shop.job_thread import JobThread
from dbskit.shop.loop_writes import WritesOnLoop
from dbskit.shop.notification_allowlist import SourceAllowlist
from dbskit.shop.notification_parsing import (
    ReceivedNotification,
    WrongEventFormat,
    read_notification,
)
from dbskit.shop.service import Clock
from dbskit.shop.storage import jobs
from dbskit.shop.storage import notifications as received
from dbskit.shop.storage.database import open_store_database
from dbskit.shop.worker import Outcome, Worker

log = logging.getLogger("dbskit.store")

NOTIFICATION_PATH = "/notification"
# the integration's name and version, 1-100 characters each.
INTEGRATION_NAME = "dbskit store"
INTEGRATION_VERSION = __version__

# The notifications about one order: each queues a job that reads the order and acts on it.
ORDER_NOTIFICATIONS = frozenset(
    {
        NotificationType.ORDER_CREATED,
        NotificationType.ORDER_STATUS_UPDATED,
        NotificationType.ORDER_CANCELLED,
        NotificationType.ORDER_CANCELLATION_REQUEST,
        NotificationType.ORDER_UPDATED,
        NotificationType.ORDER_RETURN_CREATED,
        NotificationType.ORDER_RETURN_STATUS_UPDATED,
    }
)

MESSAGE_REFUSED_SOURCE = "Notifications are not taken from {source}: not in the store's allowlist"
MESSAGE_NOT_KEPT = "The store could not keep the notification; send it again"
MESSAGE_BODY_LATE = "The body did not arrive in time"


class StoreNotifications:
    """The store's notification side: the allowlist, its database (opened on first need, so a
    store that never gets a notification makes no file), the worker and the autopilot.

    The served store runs its jobs on a thread and loop of their own (``JobThread``), with their
    own database connections and Market client, so that the loop answering notifications only
    records and queues. ``worker.run_due()`` runs them on the caller's loop instead (tests,
    one-shot use)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock,
        market: StoreMarket | None = None,
        open_database: Callable[[Settings], Database] = open_store_database,
        start_worker: bool = True,
        queue_now: Callable[[], datetime] = wall_clock,
    ) -> None:
        """``start_worker`` False leaves the jobs to ``worker.run_due()``, on the caller's loop;
        ``market``: the Market those jobs call (default: from the settings; the job thread always
        makes its own from the settings); ``queue_now``: the job queue's clock."""
        if market is not None and start_worker:
            raise ValueError(
                "a given Market is for jobs run by worker.run_due(): start_worker=False"
            )
        self.settings = settings
        self.clock = clock
        self.allowlist = SourceAllowlist.from_setting(settings.store_notify_allowlist)
        self.slips = SlipTemplates.load(settings.store_slip_templates)
        self._market = market
        self._open_database = open_database
        self._db: Database | None = None
        self._db_loop: asyncio.AbstractEventLoop | None = None  # the loop its connections are of
        self._opening = asyncio.Lock()
        self._queue_now = queue_now
        self.worker = Worker(
            self.database,
            {ORDER_JOB: self._run_order_job},
            now=queue_now,
            lease_seconds=settings.store_job_lease_seconds,
        )
        self._job_thread = JobThread(self._thread_worker) if start_worker else None
        self._autopilot: Autopilot | None = None

    # --- the database and the worker ----------------------------------------------------

    async def database(self) -> Database:
        if self._db is None:
            async with self._opening:
                if self._db is None:
                    self._db = await asyncio.to_thread(self._open_database, self.settings)
                    self._db_loop = asyncio.get_running_loop()
                    if self._job_thread is not None:
                        self._job_thread.start()
        return self._db

    async def start(self) -> None:
        """Run the jobs a previous life of the store left, when it has a database already."""
        if store_database_exists(self.settings):
            await self.database()

    async def close(self) -> None:
        if self._job_thread is not None:
            await self._job_thread.stop()
        await self.worker.stop()
        market = self._autopilot.market if self._autopilot is not None else self._market
        if market is not None:
            await market.aclose()
        if self._db is not None:
            self._db.dispose()
            self._db = None

    def autopilot(self, db: Database) -> Autopilot:
        """The autopilot of the jobs ``worker.run_due()`` runs, on the caller's loop."""
        if self._autopilot is None:
            market, reason = self._market, None
            if market is None:
                market, reason = self._configured_market()
            self._autopilot = self._new_autopilot(db, market, reason)
        return self._autopilot

    def _new_autopilot(
        self, db: UnitsOfWork, market: StoreMarket | None, reason: str | None
    ) -> Autopilot:
        return Autopilot(
            database=db,
            market=market,
            unconfigured_reason=reason,
            slips=self.slips,
            policy=self.settings.store_cancellation_policy,
        )

    @asynccontextmanager
    async def _thread_worker(self) -> AsyncIterator[Worker]:
        """On the job thread's loop: a database, Market client and autopilot of its own (the
        database's loop connections and the client's pool belong to the loop that uses them)."""
        db = await asyncio.to_thread(self._open_database, self.settings)
        units: UnitsOfWork = db
        if db.is_sqlite and self._db is not None and self._db_loop is not None:
            units = WritesOnLoop(db, self._db, self._db_loop)  # one writer in the process
        market, reason = self._configured_market()
        autopilot = self._new_autopilot(units, market, reason)

        async def database() -> UnitsOfWork:
            return units

        worker = Worker(
            database,
            {ORDER_JOB: autopilot.run},
            now=self._queue_now,
            lease_seconds=self.settings.store_job_lease_seconds,
        )
        try:
            yield worker
        finally:
            if market is not None:
                await market.aclose()
            db.dispose()

    def _configured_market(self) -> tuple[StoreMarket | None, str | None]:
        settings = self.settings
        if settings.store_api_key is None:
            return None, decisions.REASON_NO_API_KEY
        if settings.store_business_id is None:
            return None, decisions.REASON_NO_BUSINESS
        client = market_client(
            base_url=settings.store_market_url, api_key=settings.store_api_key.get_secret_value()
        )
        return StoreMarket(client, settings.store_business_id), None

    async def _run_order_job(self, job: jobs.Job) -> Outcome:
        return await self.autopilot(await self.database()).run(job)

    # --- one notification ------------------------------------------------------------------

    def accepted(self) -> NotificationAccepted:
        now = self.clock.now().astimezone(UTC)
        return NotificationAccepted(version=INTEGRATION_VERSION, name=INTEGRATION_NAME, time=now)

    async def keep(self, notification: ReceivedNotification) -> bool:
        """Record it and queue its job in one transaction; False for a repeat."""
        db = await self.database()
        now = self.clock.now()

        def record(tx: Transaction) -> bool:
            fresh = received.record_received(
                tx,
                dedup_key=notification.dedup_key,
                type=notification.type.value,
                order_id=notification.order_id,
                campaign_id=notification.campaign_id,
                body=notification.document,
                received_at=now,
            )
            if fresh and _queues_order_job(notification):
                assert notification.order_id is not None and notification.campaign_id is not None
                jobs.enqueue(
                    tx,
                    kind=ORDER_JOB,
                    key=f"{ORDER_JOB}:{notification.dedup_key}",
                    payload=job_payload(
                        notification_type=notification.type,
                        order_id=notification.order_id,
                        campaign_id=notification.campaign_id,
                        event_at=notification.event_at,
                        status=getattr(notification.model, "status", None),
                    ),
                    run_at=self._queue_now(),  # the queue runs on the wall clock
                )
            return fresh

        fresh = await db.run_write(record, short=True)
        if fresh:
            if self._job_thread is not None:
                self._job_thread.wake()
            else:
                self.worker.wake()
        return fresh


def _queues_order_job(notification: ReceivedNotification) -> bool:
    return (
        notification.type in ORDER_NOTIFICATIONS
        and notification.order_id is not None
        and notification.campaign_id is not None
    )


def store_database_exists(settings: Settings) -> bool:
    """A server database always; a SQLite file only once made."""
    url = settings.resolved_store_database_url
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return not url.startswith("sqlite")
    return Path(url[len(prefix) :]).exists()


def error_answer(status: int, kind: NotificationErrorType, message: str) -> JsonAnswer:
    body = NotificationErrorAnswer(error=NotificationErrorDetail(type=kind, message=message))
    return json_answer(body, status)


class NotificationEndpoint:
    """POST /notification, a plain ASGI app like ``/cart``'s."""

    def __init__(self, desk: StoreNotifications) -> None:
        self.desk = desk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        desk = self.desk
        client = scope.get("client")
        source = client[0] if client else None
        if not desk.allowlist.allows(source):
            message = MESSAGE_REFUSED_SOURCE.format(source=source or "an unknown source")
            log.warning("notification refused: %s", message)
            answer = error_answer(403, NotificationErrorType.UNKNOWN, message)
            await answer(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            body = await receive_limited(receive, headers.get("content-length"))
            notification = read_notification(body)
        except ClientDisconnect:
            return
        except WrongEventFormat as exc:
            answer = error_answer(400, NotificationErrorType.WRONG_EVENT_FORMAT, exc.message)
            await answer(scope, receive, send)
            return
        except BadRequest as exc:  # over the body limit
            message = "; ".join(error.message for error in exc.errors)
            answer = error_answer(400, NotificationErrorType.WRONG_EVENT_FORMAT, message)
            await answer(scope, receive, send)
            return
        except ApiError:  # the body did not arrive in time: the Market sends it again
            answer = error_answer(500, NotificationErrorType.UNKNOWN, MESSAGE_BODY_LATE)
            await answer(scope, receive, send)
            return
        if not notification.is_ping:
            try:
                await desk.keep(notification)
            except Exception:
                log.exception("notification %s not kept", notification.dedup_key)
                answer = error_answer(500, NotificationErrorType.UNKNOWN, MESSAGE_NOT_KEPT)
                await answer(scope, receive, send)
                return
        await json_answer(desk.accepted())(scope, receive, send)
