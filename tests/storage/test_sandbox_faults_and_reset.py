"""Fault rules' counts under concurrency, the reset's statements and the clock's resets, on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from dbskit.clock import Clock
from dbskit.contract.sandbox_faults import FaultKind, FaultMode, FaultRuleCreate
from dbskit.database.db import Database
from dbskit.market.domain.faults import FaultRule
from dbskit.market.services.clock import ClockService
from dbskit.market.services.faults import FaultService
from dbskit.market.services.scheduler import Scheduler
from dbskit.market.storage import faults as store
from dbskit.market.storage import migrations, reset
from dbskit.market.storage.clock import read_clock_state, reset_clock, store_clock_offset
from dbskit.market.storage.tables import metadata
from dbskit.settings import normalise_database_url

CALLS = 40


def test_every_table_is_cleared_or_kept_and_never_both() -> None:
    """A new table must be placed: cleared by a reset, or kept with a reason."""
    cleared = [table.name for table in reset.CLEARED]
    assert sorted(set(cleared) | reset.KEPT.keys()) == sorted(metadata.tables)
    assert set(cleared).isdisjoint(reset.KEPT)
    assert len(cleared) == len(set(cleared))


async def _fire_together(db: Database, request: FaultRuleCreate) -> list[bool]:
    """``CALLS`` matched calls at once, each counted in a transaction of its own in a thread of
    its own (as calls on several instances would be)."""
    service = FaultService(db=db, clock=Clock())
    await service.add(request)
    rules = service.matching(operation_id="getOrder", campaign_id=None, token_id=1)
    assert len(rules) == 1
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=8) as threads:
        fired = await asyncio.gather(
            *(loop.run_in_executor(threads, _fire_in_thread, db, rules[0]) for _ in range(CALLS))
        )
    return list(fired)


def _fire_in_thread(db: Database, rule: FaultRule) -> bool:
    with db.write() as conn:
        number = store.count_call(conn, rule.id)
        return number is not None and rule.faults(number)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        pytest.param({"next": 7}, 7, id="next-7"),
        pytest.param({"every": 3}, CALLS // 3, id="every-3rd"),
    ],
)
async def test_counts_are_exact_under_concurrent_calls(
    db: Database, schedule: dict[str, int], expected: int
) -> None:
    request = FaultRuleCreate.model_validate(
        {"operationId": "getOrder", "fault": "SERVICE_UNAVAILABLE", **schedule}
    )
    fired = await _fire_together(db, request)
    assert fired.count(True) == expected
    with db.read() as conn:
        [view] = store.rule_views(conn)
    assert (view.calls, view.injected) == (CALLS, expected)


async def test_a_deleted_rule_faults_nothing_more(db: Database) -> None:
    service = FaultService(db=db, clock=Clock())
    request = FaultRuleCreate(operation_id="getOrder", fault=FaultKind.INTERNAL_ERROR, every=1)
    await service.add(request)
    rules = service.matching(operation_id="getOrder", campaign_id=None, token_id=1)
    with db.write() as conn:  # deleted through another instance: this one still holds it
        store.delete_rules(conn)
    assert await service.fire(rules) is None
    await service.refresh()
    assert not service.active


def test_a_share_draw_depends_on_the_seed_and_the_number_only() -> None:
    rule = FaultRule(
        id=1,
        operation_id="getOrder",
        campaign_id=None,
        token_id=None,
        fault=FaultKind.SERVICE_UNAVAILABLE,
        latency_ms=None,
        mode=FaultMode.SHARE,
        n=None,
        share=0.25,
        seed=7,
    )
    same = [rule.faults(number) for number in range(1, 401)]
    assert same == [rule.faults(number) for number in range(1, 401)]
    assert 60 <= same.count(True) <= 140  # about a quarter of 400


def test_the_clock_row_counts_its_resets(db: Database) -> None:
    with db.write() as conn:
        assert read_clock_state(conn) == (timedelta(0), 0)
        assert reset_clock(conn) == 1  # before the clock was ever moved: the row is made
        store_clock_offset(conn, timedelta(days=3))
        assert read_clock_state(conn) == (timedelta(days=3), 1)
        assert reset_clock(conn) == 2
        assert read_clock_state(conn) == (timedelta(0), 2)


async def test_an_instance_follows_a_reset_and_ignores_what_it_read_before(db: Database) -> None:
    wall = datetime(2030, 1, 1, tzinfo=UTC)
    clock = Clock(wall=lambda: wall)
    service = ClockService(db=db, clock=clock, scheduler=Scheduler(db))
    await service.advance(seconds=3600)
    stale = (clock.offset, clock.resets)
    with db.write() as conn:  # another instance resets the sandbox
        resets = reset_clock(conn)
    clock.adopt(stale[0], resets=stale[1])  # a read from before the reset changes nothing yet
    assert clock.offset == timedelta(hours=1)
    await service.refresh()
    assert (clock.offset, clock.resets) == (timedelta(0), resets)
    clock.adopt(stale[0], resets=stale[1])  # and once the reset is adopted, is ignored
    assert clock.now() == wall
    await service.advance(seconds=60)  # moves on from real time
    assert clock.now() == wall + timedelta(seconds=60)


def test_a_campaigns_reset_deletes_its_rows_only(db: Database, campaign: int) -> None:
    with db.write() as conn:
        deleted = reset.clear(conn, campaign_id=campaign, with_query_log=True)
    assert set(deleted) == {table.name for table in reset.CLEARED}
    assert set(deleted.values()) == {0}


async def test_another_instance_applies_a_rule_once_it_reads_the_rules(db: Database) -> None:
    here, there = FaultService(db=db, clock=Clock()), FaultService(db=db, clock=Clock())
    there.load()
    request = FaultRuleCreate(operation_id="getOrder", fault=FaultKind.INTERNAL_ERROR, next=1)
    await here.add(request)
    assert (here.active, there.active) == (True, False)  # until its next refresh
    await there.refresh()
    rules = there.matching(operation_id="getOrder", campaign_id=None, token_id=1)
    fired = await there.fire(rules)
    assert fired is not None and fired.fault is FaultKind.INTERNAL_ERROR
    assert await here.fire(rules) is None  # the next one was faulted already, on the other


def test_0015_keeps_the_clock_and_the_log_and_goes_back(database_url: str) -> None:
    """Up from 0014: the clock keeps its offset with no resets yet, logged calls are unmarked;
    down again: the rules and the new columns go, the rest stays."""
    db = Database(normalise_database_url(database_url))
    config = Config()
    config.set_main_option("script_location", str(migrations.MIGRATIONS_DIR))

    def migrate(revision: str, *, down: bool = False) -> None:
        with db.write() as conn:
            config.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(config, revision)

    try:
        migrate("0014")
        with db.write() as conn:
            conn.execute(sa.text("INSERT INTO sandbox_clock (id, offset_us) VALUES (1, 5000000)"))
        migrate("0015")
        with db.read() as conn:
            assert read_clock_state(conn) == (timedelta(seconds=5), 0)
            assert sa.inspect(conn).has_table("fault_rules")
        migrate("0014", down=True)
        with db.read() as conn:
            columns = {column["name"] for column in sa.inspect(conn).get_columns("query_log")}
            assert not sa.inspect(conn).has_table("fault_rules")
            assert {"fault_rule_id", "fault"}.isdisjoint(columns)
            offset = conn.execute(sa.text("SELECT offset_us FROM sandbox_clock")).scalar()
            assert offset == 5_000_000
    finally:
        db.dispose()
