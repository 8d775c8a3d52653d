"""What a running Market instance holds: settings, database, clock, scheduler, the outbound HTTP
client and their tasks.

Routes reach it as ``request.app.state.runtime``; tests build one around a temporary database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import SecretStr

from dbskit.clock import Clock
from dbskit.database.db import Database
from dbskit.market.limits.limiter import Limiter, build_limiter
from dbskit.market.limits.storage import MemoryCounters
from dbskit.market.query_log.writer import QueryLogWriter
from dbskit.market.services.access import AccessService
from dbskit.market.services.access_cache import AccessCache
from dbskit.market.services.clock import ClockService
from dbskit.market.services.demo import DemoAccess, DemoPush, default_push_url, ensure_demo
from dbskit.market.services.digital_goods import register_digital_events
from dbskit.market.services.faults import FaultService
from dbskit.market.services.notification_sender import NotificationSender
from dbskit.market.services.order_documents import OrderDocuments
from dbskit.market.services.outbound import OutboundHttp
from dbskit.market.services.outbox import DELIVER_NOTIFICATION
from dbskit.market.services.reset import ResetService
from dbskit.market.services.sandbox_orders import register_order_events
from dbskit.market.services.scheduler import Scheduler
from dbskit.market.storage import migrations
from dbskit.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    scheduler: Scheduler
    clock_service: ClockService
    access_cache: AccessCache
    access: AccessService
    limiter: Limiter
    query_log: QueryLogWriter
    http: OutboundHttp  # the Market's calls to stores; closed on stop
    order_documents: OrderDocuments
    # The query log's database: on SQLite a file of its own, on PostgreSQL ``db`` itself.
    log_db: Database
    faults: FaultService
    resets: ResetService
    demo: DemoAccess | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        db = Database(settings.resolved_database_url, synchronous=settings.sqlite_synchronous)
        log_db = db
        if settings.resolved_query_log_url != settings.resolved_database_url:
            log_db = Database(
                settings.resolved_query_log_url, synchronous=settings.sqlite_synchronous
            )
        clock = clock or Clock()
        scheduler = Scheduler(db)
        register_order_events(scheduler)
        register_digital_events(scheduler, settings)
        clock_service = ClockService(db=db, clock=clock, scheduler=scheduler)
        access_cache = AccessCache(db=db, ttl_seconds=settings.access_cache_seconds)
        access = AccessService(db=db, clock=clock, cache=access_cache)
        http = OutboundHttp()
        sender = NotificationSender(db=db, clock=clock, http=http, settings=settings)
        scheduler.register(DELIVER_NOTIFICATION, sender.deliver)
        query_log = QueryLogWriter(
            db=log_db,
            clock=clock,
            retention=timedelta(days=settings.query_log_retention_days),
            flush_interval=settings.query_log_flush_seconds,
            body_limit=settings.query_log_body_max_bytes,
        )
        limiter = build_limiter(settings, clock)
        faults = FaultService(db=db, clock=clock)
        resets = ResetService(
            db=db,
            log_db=log_db,
            clock=clock,
            faults=faults,
            counters=limiter,
            log_buffer=query_log,
        )
        return cls(
            settings,
            db,
            clock,
            scheduler,
            clock_service,
            access_cache,
            access,
            limiter,
            query_log,
            http,
            OrderDocuments(db),
            log_db,
            faults,
            resets,
        )

    def prepare(self) -> None:
        """Migrate the schema, adopt the stored clock and make sure the demo access exists
        (synchronous; runs before serving)."""
        if self.db.is_sqlite:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrations.upgrade(self.db)
        if self.log_db is not self.db:
            migrations.upgrade(self.log_db)  # the same schema; only its query_log is used
        self.clock_service.load()
        self.faults.load()
        self.demo = ensure_demo(
            db=self.db,
            clock=self.clock,
            data_dir=self.settings.data_dir,
            push=DemoPush(
                url=default_push_url(self.settings.host, self.settings.port),
                auth_token=_secret(self.settings.store_token),
                auth_mode=self.settings.store_auth_mode,
            ),
        )

    async def start(self) -> None:
        await self.db.open_loop_connections()
        if self.log_db is not self.db:
            await self.log_db.open_loop_connections()
        self._tasks.append(asyncio.create_task(self._follow_shared(), name="dbskit-shared"))
        self._tasks.append(asyncio.create_task(self._tick(), name="dbskit-ticker"))
        self.query_log.start()

    async def stop(self) -> None:
        try:
            await self.query_log.stop()  # before the database goes: a clean stop loses nothing
        except Exception:
            log.exception("query log: the last batch could not be written")
        await self.limiter.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.http.aclose()
        self.db.dispose()
        if self.log_db is not self.db:
            self.log_db.dispose()

    async def _follow_shared(self) -> None:
        """Adopt what other instances changed, every ``clock_refresh_seconds``, on a task of its
        own: the shared clock's offset (the limit windows, deadlines and the scheduler of this
        instance follow a clock moved through another within that interval, whatever else this
        instance is doing: a scheduled event may wait seconds for a store's answer), a reset,
        and the sandbox's fault rules."""
        while True:
            await asyncio.sleep(self.settings.clock_refresh_seconds)
            resets = self.clock.resets
            try:
                await self.clock_service.refresh()
            except Exception:
                log.exception("reading the shared clock failed")
            if self.clock.resets != resets:
                await self._adopt_reset()
            try:
                await self.faults.refresh()
            except Exception:
                log.exception("reading the fault rules failed")

    async def _adopt_reset(self) -> None:
        """Another instance reset the sandbox (its clock went back): this process's own state
        follows. Shared counters (Redis) were cleared by that instance."""
        self.query_log.restart_purges()
        if isinstance(self.limiter.storage, MemoryCounters):
            await self.limiter.storage.forget_windows()

    async def _tick(self) -> None:
        """Run events that fall due as real time passes."""
        while True:
            await asyncio.sleep(self.settings.scheduler_interval_seconds)
            try:
                await self.scheduler.run_due(self.clock.now())
            except Exception:
                log.exception("background tick failed")


def _secret(value: SecretStr | None) -> str | None:
    return None if value is None else value.get_secret_value()
