"""The store's jobs on a thread and event loop of their own (docs/decisions.md, "Answers never
wait for jobs"): a job that holds its loop leaves the caller's free, a job queued is run when the
worker is woken across threads, stopping hands a running job back, and the served store's
notification side runs its jobs there."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbskit.database.db import Database
from dbskit.settings import Settings
from dbskit.shop.autopilot import decisions
from dbskit.shop.job_thread import THREAD_NAME, JobThread
from dbskit.shop.notification_parsing import read_notification
from dbskit.shop.notifications import StoreNotifications
from dbskit.shop.storage import jobs
from dbskit.shop.storage.database import open_store_database
from dbskit.shop.storage.jobs import Job
from dbskit.shop.worker import Done, Handler, Outcome, Worker
from tests.cart_factories import fixed_clock

DECISION = "Answers never wait for jobs"
# A hang detector only: every wait below ends as soon as what it waits for happens.
HANG_SECONDS = 30.0
# Longer than any test here: a job found before it was due to poll was found by a wake.
NEVER_POLLS = 3600.0


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_store_database(Settings(data_dir=tmp_path))
    yield database
    database.dispose()


def queue(db: Database, key: str) -> None:
    with db.write() as tx:
        assert jobs.enqueue(
            tx, kind="test", key=key, payload={}, run_at=datetime.now(UTC) - timedelta(seconds=1)
        )


def job_thread(db: Database, handler: Handler) -> JobThread:
    @asynccontextmanager
    async def open_worker() -> AsyncIterator[Worker]:
        async def database() -> Database:
            return db

        yield Worker(database, {"test": handler}, poll_seconds=NEVER_POLLS)

    return JobThread(open_worker)


async def wait_for(event: threading.Event) -> None:
    assert await asyncio.to_thread(event.wait, HANG_SECONDS)


@pytest.mark.decision(DECISION)
async def test_a_job_holding_its_loop_leaves_the_callers_loop_free(db: Database) -> None:
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()
    ran_on: list[str] = []

    async def holds_its_loop(job: Job) -> Outcome:
        ran_on.append(threading.current_thread().name)
        entered.set()
        release.wait(HANG_SECONDS)  # blocks the loop it runs on, as a job's CPU work does
        finished.set()
        return Done()

    queue(db, "a")
    thread = job_thread(db, holds_its_loop)
    thread.start()
    try:
        await wait_for(entered)
        # The job holds its loop; this loop still runs its own tasks meanwhile.
        ticks = [await asyncio.sleep(0, result=n) for n in range(3)]
        assert ticks == [0, 1, 2] and not finished.is_set()
        release.set()
        await wait_for(finished)
    finally:
        release.set()
        await thread.stop()
    assert ran_on == [THREAD_NAME]
    assert not thread.running
    assert jobs.pending_summary(db).pending == 0


@pytest.mark.decision(DECISION)
async def test_a_job_queued_later_runs_when_the_worker_is_woken(db: Database) -> None:
    ran = threading.Event()

    async def handler(job: Job) -> Outcome:
        ran.set()
        return Done()

    thread = job_thread(db, handler)
    thread.start()
    try:
        queue(db, "a")
        # The worker's first look may come before or after the job: the wake finds it either way.
        for _ in range(int(HANG_SECONDS / 0.05)):
            thread.wake()
            if await asyncio.to_thread(ran.wait, 0.05):
                break
        assert ran.is_set()
    finally:
        await thread.stop()


@pytest.mark.decision(DECISION)
async def test_stopping_hands_a_running_job_back_to_the_queue(db: Database) -> None:
    entered = threading.Event()

    async def never_ends(job: Job) -> Outcome:
        entered.set()
        await asyncio.Event().wait()
        return Done()

    queue(db, "a")
    thread = job_thread(db, never_ends)
    thread.start()
    await wait_for(entered)
    await thread.stop()
    summary = jobs.pending_summary(db)
    assert (summary.pending, summary.running) == (1, 0)


@pytest.mark.decision(DECISION)
async def test_the_served_store_runs_its_order_jobs_on_the_job_thread(tmp_path: Path) -> None:
    # No Api-Key: the order's job runs and waits with that reason, on the thread's own
    # database connections and Market settings.
    desk = StoreNotifications(Settings(data_dir=tmp_path), clock=fixed_clock())
    try:
        assert await _reasons_once_waiting(desk, order_id=77) == [decisions.REASON_NO_API_KEY]
    finally:
        await desk.close()


async def _reasons_once_waiting(desk: StoreNotifications, *, order_id: int) -> list[str | None]:
    """An ORDER_CREATED kept by ``desk``; the reasons of the jobs waiting once one waits."""
    body = {
        "notificationType": "ORDER_CREATED",
        "orderId": order_id,
        "campaignId": 3,
        "items": [{"offerId": "game-1", "count": 1}],
        "createdAt": "2030-03-02T06:00:00Z",
    }
    assert await desk.keep(read_notification(httpx.Request("POST", "/", json=body).content))
    db = await desk.database()
    waiting: list[str | None] = []
    for _ in range(int(HANG_SECONDS / 0.05)):
        waiting = [job.reason for job in jobs.pending_summary(db).waiting]
        if waiting:
            break
        await asyncio.sleep(0.05)
    return waiting


async def test_the_job_threads_writes_are_made_by_the_answering_loops_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has one writer: the job thread's writes (its claim, the job put to wait) are made
    by the answering loop's ``Database``, on that loop, so that the process's two sides never
    take SQLite's write lock from each other."""
    writes: set[tuple[int, int]] = set()
    run_write = Database.run_write

    async def recorded(self: Database, work: Any, *, short: bool = False) -> Any:
        writes.add((threading.get_ident(), id(self)))
        return await run_write(self, work, short=short)

    monkeypatch.setattr(Database, "run_write", recorded)
    desk = StoreNotifications(Settings(data_dir=tmp_path), clock=fixed_clock())
    try:
        assert await _reasons_once_waiting(desk, order_id=78) == [decisions.REASON_NO_API_KEY]
        assert writes == {(threading.get_ident(), id(await desk.database()))}
    finally:
        await desk.close()
