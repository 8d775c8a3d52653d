"""A durable job queue in the store's database, shared by every store process on it.

A job has a unique ``key`` (enqueueing it again is a no-op), a ``run_at`` before which nobody
runs it, and a lease: ``claim`` gives a due job to one worker until ``now + lease_seconds``. A
worker killed mid-job leaves its lease to expire, and the job is claimed again and redone, so
the work a job does must be safe to repeat (``docs/decisions.md``, The store's own database).
Claims are exclusive across processes: on PostgreSQL the candidate row is taken with
``FOR UPDATE SKIP LOCKED`` (another claimer passes over it rather than waiting); on SQLite the
write transaction holds the database's write lock, and the update is conditional on the lease
being free either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from dbskit.database.db import Database, Transaction
from dbskit.database.driver_statements import DriverStatement
from dbskit.database.values import json_text, to_micros
from dbskit.shop.storage.tables import JOB_DONE, JOB_PENDING, REASON_MAX_LENGTH, jobs


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int  # claims so far, this one included
    reason: str | None  # why it last waited or was retried


@dataclass(frozen=True, slots=True)
class WaitingJob:
    id: int
    kind: str
    key: str
    reason: str | None
    run_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class PendingSummary:
    pending: int  # not finished, including those running and waiting
    running: int  # under a lease that has not expired at ``now``
    waiting: tuple[WaitingJob, ...]  # put off by ``wait`` (out of keys and the like)


# On the driver's cursor, as the notifications' record is (``storage/notifications.py``).
_ENQUEUE = {
    name: DriverStatement(
        insert(jobs).on_conflict_do_nothing(index_elements=["key"]).returning(jobs.c.id)
    )
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


def enqueue(
    tx: Transaction, *, kind: str, key: str, payload: dict[str, Any], run_at: datetime
) -> bool:
    """Add a job; False (and nothing changes) when a job with ``key`` exists, done or not."""
    inserted = _ENQUEUE[tx.dialect.name].rows(
        tx,
        {
            "kind": kind,
            "key": key,
            "payload": json_text(payload),
            "state": JOB_PENDING,
            "run_at": to_micros(run_at),
            "attempts": 0,
            "waiting": False,
            "created_at": to_micros(datetime.now(UTC)),
        },
    )
    return bool(inserted)  # no row back: the key was there


_CLAIMABLE = (jobs.c.state == JOB_PENDING) & (jobs.c.run_at <= bindparam("now"))
_LEASE_FREE = or_(jobs.c.lease_until.is_(None), jobs.c.lease_until <= bindparam("now"))
_NEXT = (
    select(jobs.c.id)
    .where(_CLAIMABLE, _LEASE_FREE)
    .order_by(jobs.c.run_at, jobs.c.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
_TAKE = (
    update(jobs)
    .where(jobs.c.id == bindparam("job_id"), _CLAIMABLE, _LEASE_FREE)
    .values(
        lease_owner=bindparam("worker"),
        lease_until=bindparam("lease_until"),
        attempts=jobs.c.attempts + 1,
    )
    .returning(jobs.c.id, jobs.c.kind, jobs.c.key, jobs.c.payload, jobs.c.attempts, jobs.c.reason)
)


def claim(tx: Transaction, *, now: datetime, worker: str, lease_seconds: float) -> Job | None:
    """The next due job, leased to ``worker`` until ``now + lease_seconds``; None when no job is
    due. A job whose lease expired is due again."""
    job_id = tx.execute(_NEXT, {"now": now}).scalar()
    if job_id is None:
        return None
    row = tx.execute(
        _TAKE,
        {
            "job_id": job_id,
            "now": now,
            "worker": worker,
            "lease_until": now + timedelta(seconds=lease_seconds),
        },
    ).first()
    if row is None:
        return None
    job_id, kind, key, payload, attempts, reason = row
    return Job(job_id, kind, key, payload, attempts, reason)


_FINISH = (
    update(jobs)
    .where(jobs.c.id == bindparam("job_id"))
    .values(state=JOB_DONE, lease_owner=None, lease_until=None, finished_at=bindparam("at"))
)


def finish(tx: Transaction, job_id: int) -> None:
    """The job is done: nobody claims it again."""
    tx.execute(_FINISH, {"job_id": job_id, "at": datetime.now(UTC)})


_PUT_OFF = (
    update(jobs)
    .where(jobs.c.id == bindparam("job_id"), jobs.c.state == JOB_PENDING)
    .values(
        run_at=bindparam("run_at"),
        reason=bindparam("reason"),
        waiting=bindparam("waiting"),
        lease_owner=None,
        lease_until=None,
    )
)


def retry_at(tx: Transaction, job_id: int, *, run_at: datetime, reason: str) -> None:
    """The job failed this time: run it again from ``run_at``."""
    _put_off(tx, job_id, run_at=run_at, reason=reason, waiting=False)


def wait(tx: Transaction, job_id: int, *, reason: str, run_at: datetime) -> None:
    """The job cannot go on yet (out of keys, say): look again from ``run_at``. Listed as
    waiting, with ``reason``, until it is claimed and finished or retried."""
    _put_off(tx, job_id, run_at=run_at, reason=reason, waiting=True)


def _put_off(tx: Transaction, job_id: int, *, run_at: datetime, reason: str, waiting: bool) -> None:
    tx.execute(
        _PUT_OFF,
        {
            "job_id": job_id,
            "run_at": run_at,
            "reason": reason[:REASON_MAX_LENGTH],
            "waiting": waiting,
        },
    )


_COUNTS = select(
    func.count(),
    func.count().filter(jobs.c.lease_until > bindparam("now")),
).where(jobs.c.state == JOB_PENDING)
_WAITING = (
    select(jobs.c.id, jobs.c.kind, jobs.c.key, jobs.c.reason, jobs.c.run_at, jobs.c.attempts)
    .where(jobs.c.state == JOB_PENDING, jobs.c.waiting.is_(True))
    .order_by(jobs.c.run_at, jobs.c.id)
)


def pending_summary(db: Database, *, now: datetime | None = None) -> PendingSummary:
    """How many jobs are unfinished and running, and each one waiting with its reason."""
    at = now or datetime.now(UTC)
    with db.read() as conn:
        pending, running = conn.execute(_COUNTS, {"now": at}).one()
        waiting = tuple(WaitingJob(*row) for row in conn.execute(_WAITING))
    return PendingSummary(pending=int(pending), running=int(running), waiting=waiting)
