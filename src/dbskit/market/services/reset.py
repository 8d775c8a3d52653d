"""``POST /sandbox/reset``: start over without new keys.

A full reset deletes every order and what hangs off it (items with their marking codes, tracks,
digital keys, warnings), the outbox, the scheduled events, the query log, the fault rules and the
limit counters, and sets the sandbox clock back to real time; a campaign's reset deletes the
campaign's part of each and leaves the clock. Businesses, campaigns and tokens stay
(``storage.reset.KEPT``). Each database is cleared in one transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from dbskit.clock import Clock
from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.sandbox_reset import ResetDone
from dbskit.database.db import Database, Transaction
from dbskit.market.services.faults import FaultService
from dbskit.market.storage import reset as store
from dbskit.market.storage.access import campaign_access
from dbskit.market.storage.clock import reset_clock


class LimitCounters(Protocol):
    async def forget_windows(self, campaign_id: int | None = None) -> None: ...


class LogBuffer(Protocol):
    async def flush(self) -> int: ...

    def restart_purges(self) -> None: ...


class ResetService:
    def __init__(
        self,
        *,
        db: Database,
        log_db: Database,
        clock: Clock,
        faults: FaultService,
        counters: LimitCounters,
        log_buffer: LogBuffer,
    ) -> None:
        self._db = db
        self._log_db = log_db
        self._clock = clock
        self._faults = faults
        self._counters = counters
        self._log_buffer = log_buffer

    async def reset(self, *, campaign_id: int | None = None) -> ResetDone:
        """Clear the sandbox, or one campaign's part of it (404 for an unknown campaign)."""
        shared_log = self._log_db is self._db
        # This instance's buffered calls are written first, so the reset deletes them too.
        await self._log_buffer.flush()

        def work(conn: Transaction) -> tuple[dict[str, int], int | None]:
            if campaign_id is not None and campaign_access(conn, campaign_id) is None:
                raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
            deleted = store.clear(conn, campaign_id=campaign_id, with_query_log=shared_log)
            resets = reset_clock(conn) if campaign_id is None else None
            return deleted, resets

        deleted, resets = await self._db.run_write(work)
        if not shared_log:
            deleted["query_log"] = await self._log_db.run_write(
                lambda conn: store.clear_query_log(conn, campaign_id=campaign_id)
            )
        if resets is not None:
            self._clock.adopt(timedelta(0), resets=resets)
            self._log_buffer.restart_purges()  # the last purge's time is in the clock's future
        await self._counters.forget_windows(campaign_id)
        await self._faults.forget()
        return ResetDone(
            campaign_id=campaign_id,
            deleted=deleted,
            clock_reset=resets is not None,
            now=self._clock.now(),
        )
