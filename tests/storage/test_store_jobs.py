"""The store's durable job queue on SQLite and PostgreSQL: unique keys, due times, leases that
expire (a killed worker's job is redone), exclusive claims, waits and retries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from dbskit.database.db import Database
from dbskit.settings import normalise_database_url
from dbskit.shop.storage import jobs, migrations

NOW = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
LEASE = 30.0


@pytest.fixture
def store_db(database_url: str) -> Iterator[Database]:
    db = Database(normalise_database_url(database_url))
    migrations.upgrade(db)
    yield db
    db.dispose()


def add(db: Database, key: str, *, run_at: datetime = NOW) -> bool:
    with db.write() as tx:
        return jobs.enqueue(tx, kind="deliver", key=key, payload={"orderId": 7}, run_at=run_at)


def claim(db: Database, *, now: datetime, worker: str) -> jobs.Job | None:
    with db.write() as tx:
        return jobs.claim(tx, now=now, worker=worker, lease_seconds=LEASE)


def test_a_key_is_enqueued_once(store_db: Database) -> None:
    assert add(store_db, "deliver:7") is True
    assert add(store_db, "deliver:7") is False
    job = claim(store_db, now=NOW, worker="w1")
    assert job is not None
    assert (job.kind, job.key, job.payload, job.attempts, job.reason) == (
        "deliver",
        "deliver:7",
        {"orderId": 7},
        1,
        None,
    )
    with store_db.write() as tx:
        jobs.finish(tx, job.id)
    assert add(store_db, "deliver:7") is False  # done jobs keep their key
    assert claim(store_db, now=NOW + timedelta(days=1), worker="w1") is None


def test_a_job_is_not_claimed_before_its_time(store_db: Database) -> None:
    add(store_db, "later", run_at=NOW + timedelta(seconds=10))
    assert claim(store_db, now=NOW, worker="w1") is None
    job = claim(store_db, now=NOW + timedelta(seconds=10), worker="w1")
    assert job is not None and job.key == "later"


def test_a_leased_job_is_claimed_again_only_when_its_lease_expires(store_db: Database) -> None:
    add(store_db, "deliver:7")
    first = claim(store_db, now=NOW, worker="killed")
    assert first is not None
    inside = NOW + timedelta(seconds=LEASE - 1)
    assert claim(store_db, now=inside, worker="w2") is None
    expired = NOW + timedelta(seconds=LEASE)
    again = claim(store_db, now=expired, worker="w2")
    assert again is not None
    assert (again.id, again.attempts) == (first.id, 2)


def test_retry_at_puts_the_job_off_with_its_reason(store_db: Database) -> None:
    add(store_db, "deliver:7")
    job = claim(store_db, now=NOW, worker="w1")
    assert job is not None
    later = NOW + timedelta(seconds=5)
    with store_db.write() as tx:
        jobs.retry_at(tx, job.id, run_at=later, reason="420 from the Market")
    # The lease is given up: the job is due at ``later``, not at the lease's end.
    assert claim(store_db, now=later - timedelta(seconds=1), worker="w1") is None
    again = claim(store_db, now=later, worker="w1")
    assert again is not None
    assert (again.attempts, again.reason) == (2, "420 from the Market")
    assert jobs.pending_summary(store_db, now=later).waiting == ()


def test_a_waiting_job_is_listed_with_its_reason(store_db: Database) -> None:
    add(store_db, "deliver:7")
    add(store_db, "deliver:8")
    job = claim(store_db, now=NOW, worker="w1")
    assert job is not None
    look_again = NOW + timedelta(minutes=1)
    with store_db.write() as tx:
        jobs.wait(tx, job.id, reason="out of keys: GAME-1 needs 2, 0 available", run_at=look_again)
    other = claim(store_db, now=NOW, worker="w1")
    assert other is not None and other.key == "deliver:8"
    summary = jobs.pending_summary(store_db, now=NOW)
    assert (summary.pending, summary.running) == (2, 1)
    (waiting,) = summary.waiting
    assert (waiting.key, waiting.reason, waiting.run_at) == (
        "deliver:7",
        "out of keys: GAME-1 needs 2, 0 available",
        look_again,
    )
    with store_db.write() as tx:
        jobs.finish(tx, job.id)
        jobs.finish(tx, other.id)
    assert jobs.pending_summary(store_db, now=NOW) == jobs.PendingSummary(0, 0, ())


def _claim_all(url: str, worker: str, claimed: list[int]) -> None:
    db = Database(url, pool_size=1)
    try:
        while (job := claim(db, now=NOW, worker=worker)) is not None:
            claimed.append(job.id)
    finally:
        db.dispose()


def test_two_claimers_never_take_the_same_job(store_db: Database) -> None:
    for n in range(40):
        add(store_db, f"deliver:{n}")
    claimed: list[list[int]] = [[], []]
    claimers = [
        threading.Thread(target=_claim_all, args=(store_db.url, f"w{n}", claimed[n]))
        for n in (0, 1)
    ]
    for claimer in claimers:
        claimer.start()
    for claimer in claimers:
        claimer.join()
    every = claimed[0] + claimed[1]
    assert len(every) == 40
    assert len(set(every)) == 40
