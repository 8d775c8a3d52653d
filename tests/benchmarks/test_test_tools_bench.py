"""The test tools' benchmark: its fill, its generated suite and its help part, on small counts
(no timing)."""

from __future__ import annotations

import ast
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._paths import child_env
from benchmarks.test_tools import HELP_COMMANDS, fill, help_figures, pytest_command, write_suite
from sqlalchemy import Table, func, select

from dbskit.database.db import Database
from dbskit.market.storage import migrations
from dbskit.market.storage.access import insert_business, insert_campaign
from dbskit.market.storage.tables import order_items, orders, query_log, scheduled_events
from dbskit.settings import query_log_url

NOW = datetime(2030, 3, 1, 12, tzinfo=UTC)


def _count(db: Database, table: Table) -> int:
    with db.write() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_fill_writes_the_orders_events_and_log_entries_asked_for(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dbskit.sqlite3'}"
    db, log_db = Database(url), Database(query_log_url(url))
    try:
        migrations.upgrade(db)
        migrations.upgrade(log_db)
        with db.write() as conn:
            business_id = insert_business(conn, name="shop", now=NOW)
            campaign_id = insert_campaign(
                conn,
                business_id=business_id,
                name="shop",
                push_url=None,
                push_auth_token=None,
                push_auth_mode="HEADER",
                notification_url=None,
                now=NOW,
            )
        fill(url, campaign_id=campaign_id, business_id=business_id, orders=12, entries=37, now=NOW)
        assert _count(db, orders) == 12
        assert _count(db, order_items) >= 12  # one to three lines each
        assert _count(db, scheduled_events) == 12  # each order's purge
        assert _count(log_db, query_log) == 37
    finally:
        db.dispose()
        log_db.dispose()


def test_generated_suite_is_python_and_collects_every_test(tmp_path: Path) -> None:
    files = write_suite(tmp_path, tests=7, files=3)
    assert len(files) == 3
    for path in files:
        ast.parse(path.read_text())
    done = subprocess.run(
        pytest_command("--collect-only", str(tmp_path)),
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 tests collected" in done.stdout


def test_help_part_gives_one_figure_per_command() -> None:
    figures = help_figures(tries=1)
    assert [figure.name for figure in figures] == [
        " ".join(("dbskit", *command, "--help")) for command in HELP_COMMANDS
    ]
    assert all(figure.value.endswith(" ms") for figure in figures)
