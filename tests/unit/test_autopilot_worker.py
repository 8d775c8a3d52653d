"""The store's job worker on a real store database: what each outcome of a handler does to the
job, and a stopped worker handing its running job back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dbskit.database.db import Database
from dbskit.settings import Settings
from dbskit.shop.storage import jobs
from dbskit.shop.storage.database import open_store_database
from dbskit.shop.storage.jobs import Job
from dbskit.shop.worker import (
    RETRY_BACKOFF_MAX,
    Done,
    Handler,
    Outcome,
    RetryLater,
    WaitFor,
    Worker,
    backoff,
)

START = datetime(2030, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_store_database(Settings(data_dir=tmp_path))
    yield database
    database.dispose()


def queue(db: Database, key: str) -> None:
    with db.write() as tx:
        assert jobs.enqueue(tx, kind="test", key=key, payload={"key": key}, run_at=START)


def worker_of(db: Database, clock: Clock, handler: Handler) -> Worker:
    async def open_db() -> Database:
        return db

    return Worker(open_db, {"test": handler}, now=clock)


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(40) == RETRY_BACKOFF_MAX


@pytest.mark.parametrize(
    ("outcome", "pending", "waiting", "due_again_after"),
    [
        (Done(), 0, [], None),
        (RetryLater("the Market is down"), 1, [], timedelta(seconds=1)),
        (RetryLater("soon", timedelta(seconds=30)), 1, [], timedelta(seconds=30)),
        (WaitFor("out of keys", timedelta(seconds=30)), 1, ["out of keys"], timedelta(seconds=30)),
    ],
)
async def test_what_each_outcome_does_to_the_job(
    db: Database,
    outcome: Outcome,
    pending: int,
    waiting: list[str],
    due_again_after: timedelta | None,
) -> None:
    clock = Clock()
    seen: list[Job] = []

    async def handler(job: Job) -> Outcome:
        seen.append(job)
        return outcome

    worker = worker_of(db, clock, handler)
    queue(db, "a")
    assert await worker.run_due() == 1
    summary = jobs.pending_summary(db, now=clock.moment)
    assert (summary.pending, [job.reason for job in summary.waiting]) == (pending, waiting)
    assert [(job.key, job.payload, job.attempts) for job in seen] == [("a", {"key": "a"}, 1)]
    if due_again_after is not None:
        clock.moment += due_again_after - timedelta(microseconds=1)
        assert await worker.run_due() == 0
        clock.moment += timedelta(microseconds=1)
        assert await worker.run_due() == 1
        assert seen[-1].attempts == 2


async def test_a_failing_handler_is_retried_with_its_reason(db: Database) -> None:
    clock = Clock()

    async def handler(job: Job) -> Outcome:
        raise ConnectionError("refused")

    worker = worker_of(db, clock, handler)
    queue(db, "a")
    assert await worker.run_due() == 1
    clock.moment += timedelta(seconds=1)
    assert await worker.run_due() == 1  # attempt 2, then 2 s of backoff
    clock.moment += timedelta(seconds=1)
    assert await worker.run_due() == 0
    assert jobs.pending_summary(db, now=clock.moment).pending == 1


async def test_a_stopped_worker_hands_its_running_job_back(db: Database) -> None:
    clock = Clock()
    started = asyncio.Event()

    async def slow(job: Job) -> Outcome:
        started.set()
        await asyncio.sleep(3600)
        return Done()

    worker = worker_of(db, clock, slow)
    queue(db, "a")
    worker.start()
    await asyncio.wait_for(started.wait(), 30)  # a hang detector only
    await worker.stop()

    async def quick(job: Job) -> Outcome:
        return Done()

    again = worker_of(db, clock, quick)
    assert await again.run_due() == 1  # at once: no lease left to expire
    assert jobs.pending_summary(db, now=clock.moment).pending == 0
