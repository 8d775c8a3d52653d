"""The store's job worker: runs the durable queue's jobs (``shop/storage/jobs.py``) beside the
HTTP server, in the store's lifespan.

A job is claimed under a lease, run by the handler of its kind, then finished, retried later
(an error: the Market unreachable after the client's own retries, say) or put to wait (out of
keys). A process killed mid-job leaves its lease to expire and the job is claimed again, by this
process or another on the same database; handlers are written to be safe to repeat.

The worker polls the queue every ``poll_seconds`` (jobs other processes queued, jobs whose time
has come) and at once when this process queues one (``wake``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from dbskit.clock import wall_clock
from dbskit.database.db import UnitsOfWork
from dbskit.shop.storage import jobs
from dbskit.shop.storage.jobs import Job

log = logging.getLogger("dbskit.store")

# Ours: jobs run at once per process. A job mostly waits for the Market; the client keeps to the
# token's parallel limit itself.
JOBS_AT_ONCE = 8
POLL_SECONDS = 0.5
# The default of --store-job-lease-seconds (settings.py says why 120 s); a lease that runs out
# only means the job may run twice, which it tolerates.
LEASE_SECONDS = 120.0
# A failed job is tried again after 1, 2, 4 ... seconds, at most this far apart.
RETRY_BACKOFF_MAX = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Done:
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RetryLater:
    reason: str
    after: timedelta | None = None  # None: the backoff for the job's attempts


@dataclass(frozen=True, slots=True)
class WaitFor:
    """The job cannot go on yet; listed as waiting with ``reason`` (``dbskit store status``)."""

    reason: str
    after: timedelta


Outcome = Done | RetryLater | WaitFor
Handler = Callable[[Job], Awaitable[Outcome]]


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(max(attempts - 1, 0), 16)), RETRY_BACKOFF_MAX)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(
        self,
        database: Callable[[], Awaitable[UnitsOfWork]],
        handlers: Mapping[str, Handler],
        *,
        jobs_at_once: int = JOBS_AT_ONCE,
        poll_seconds: float = POLL_SECONDS,
        lease_seconds: float = LEASE_SECONDS,
        now: Callable[[], datetime] = wall_clock,
    ) -> None:
        """``database()`` opens the store's database (once); ``now`` is the queue's clock, the
        wall clock shared by every process on the database."""
        self._database = database
        self._handlers = dict(handlers)
        self._slots = asyncio.Semaphore(jobs_at_once)
        self._poll_seconds = poll_seconds
        self._lease_seconds = lease_seconds
        self._now = now
        self._name = worker_name()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.get_running_loop().create_task(self._loop())

    def wake(self) -> None:
        """A job was queued by this process: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop claiming; the jobs running are cancelled and handed back to the queue."""
        # The flag and the wake as well as the cancel: Python 3.11's wait_for swallows a cancel
        # that arrives as the wake does, and the loop would then poll on for ever.
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def run_due(self) -> int:
        """Claim and run every job due now, one after another; how many ran (for tests and
        one-shot use)."""
        db = await self._database()
        ran = 0
        while (job := await self._claim(db)) is not None:
            await self._run(db, job)
            ran += 1
        return ran

    async def _loop(self) -> None:
        db = await self._database()
        while not self._stopping:
            self._wake.clear()
            try:
                await self._claim_while_free(db)
            except Exception:
                log.exception("the store's job queue could not be read; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)

    async def _claim_while_free(self, db: UnitsOfWork) -> None:
        while not self._stopping:
            await self._slots.acquire()
            job = await self._claim(db)
            if job is None:
                self._slots.release()
                return
            task = asyncio.get_running_loop().create_task(self._run_in_slot(db, job))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _claim(self, db: UnitsOfWork) -> Job | None:
        now, name, lease = self._now(), self._name, self._lease_seconds
        return await db.run_write(
            lambda tx: jobs.claim(tx, now=now, worker=name, lease_seconds=lease), short=True
        )

    async def _run_in_slot(self, db: UnitsOfWork, job: Job) -> None:
        try:
            await self._run(db, job)
        finally:
            self._slots.release()
            self._wake.set()  # a slot is free: the next due job need not wait for the poll

    async def _run(self, db: UnitsOfWork, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        try:
            if handler is None:
                log.error("store job %s: no handler for jobs of kind %s", job.key, job.kind)
                outcome: Outcome = Done(f"no handler for jobs of kind {job.kind}")
            else:
                outcome = await handler(job)
        except asyncio.CancelledError:
            await self._settle(db, job, RetryLater("the store stopped", timedelta(0)))
            raise
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("store job %s failed (attempt %d): %s", job.key, job.attempts, reason)
            outcome = RetryLater(reason)
        await self._settle(db, job, outcome)

    async def _settle(self, db: UnitsOfWork, job: Job, outcome: Outcome) -> None:
        now = self._now()
        if isinstance(outcome, Done):
            await db.run_write(lambda tx: jobs.finish(tx, job.id), short=True)
        elif isinstance(outcome, WaitFor):
            run_at = now + outcome.after
            await db.run_write(
                lambda tx: jobs.wait(tx, job.id, reason=outcome.reason, run_at=run_at), short=True
            )
        else:
            run_at = now + (outcome.after if outcome.after is not None else backoff(job.attempts))
            await db.run_write(
                lambda tx: jobs.retry_at(tx, job.id, run_at=run_at, reason=outcome.reason),
                short=True,
            )
