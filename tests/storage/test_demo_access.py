"""The demo business, campaign and full-access key: made once, kept, replaced when lost."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbskit.clock import Clock
from dbskit.contract import limits
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.database.db import Database
from dbskit.market.domain import tokens
from dbskit.market.services.demo import (
    DEMO_KEY_FILE,
    DemoAccess,
    DemoPush,
    default_push_url,
    ensure_demo,
)
from dbskit.market.storage import access as store
from dbskit.market.storage import migrations
from dbskit.market.storage.tables import api_tokens, businesses, campaigns
from dbskit.settings import Settings, normalise_database_url

PUSH_URL = "http://127.0.0.1:8484/store"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(normalise_database_url(database_url))
    migrations.upgrade(database)
    yield database
    database.dispose()


PUSH = DemoPush(PUSH_URL, "store-push-token", PushAuthMode.HEADER)


def demo(db: Database, data_dir: Path, push: DemoPush = PUSH) -> DemoAccess:
    return ensure_demo(db=db, clock=Clock(), data_dir=data_dir, push=push)


def counts(db: Database) -> tuple[int, int, int]:
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (businesses, campaigns, api_tokens)
        )


def test_first_start_makes_it_and_later_starts_find_it(db: Database, tmp_path: Path) -> None:
    first = demo(db, tmp_path)
    assert first.api_key is not None and limits.API_KEY_PATTERN.fullmatch(first.api_key)
    key_file = tmp_path / DEMO_KEY_FILE
    assert key_file.read_text() == first.api_key + "\n"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert demo(db, tmp_path) == first
    assert counts(db) == (1, 1, 1)
    with db.read() as conn:
        grant = store.grant_by_hash(conn, tokens.fingerprint(first.api_key))
        row = conn.execute(sa.select(campaigns)).one()
    assert grant is not None and grant.business_id == first.business_id
    assert sorted(grant.scopes) == ["all-methods"]
    assert (row.id, row.business_id, row.push_url, row.push_auth_token, row.push_auth_mode) == (
        first.campaign_id,
        first.business_id,
        PUSH_URL,
        "store-push-token",
        "HEADER",
    )


def test_the_demo_store_follows_the_servers_port_and_push_token(
    db: Database, tmp_path: Path
) -> None:
    first = demo(db, tmp_path)
    moved = DemoPush("http://127.0.0.1:9000/store", "another-token", PushAuthMode.URL)
    assert demo(db, tmp_path, moved) == first
    with db.read() as conn:
        row = conn.execute(sa.select(campaigns)).one()
    assert (row.push_url, row.push_auth_token, row.push_auth_mode) == (
        "http://127.0.0.1:9000/store",
        "another-token",
        "URL",
    )


def test_instances_starting_together_make_one_demo(db: Database, tmp_path: Path) -> None:
    results: list[DemoAccess] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        results.append(demo(db, tmp_path))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert counts(db) == (1, 1, 1)


@pytest.mark.parametrize("loss", ["file-deleted", "other-data-dir", "key-revoked"])
def test_a_lost_or_revoked_key_is_replaced(db: Database, tmp_path: Path, loss: str) -> None:
    first = demo(db, tmp_path)
    assert first.api_key is not None
    data_dir = tmp_path
    if loss == "file-deleted":
        (tmp_path / DEMO_KEY_FILE).unlink()
    elif loss == "other-data-dir":
        data_dir = tmp_path / "other"
    else:
        with db.write() as conn:
            conn.execute(sa.update(api_tokens).values(revoked_at=Clock().now()))
    again = demo(db, data_dir)
    assert (again.business_id, again.campaign_id) == (first.business_id, first.campaign_id)
    assert again.api_key not in (None, first.api_key)
    assert (data_dir / DEMO_KEY_FILE).read_text() == f"{again.api_key}\n"
    with db.read() as conn:
        old = store.grant_by_hash(conn, tokens.fingerprint(first.api_key))
    assert old is not None and old.revoked_at is not None
    assert demo(db, data_dir) == again


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8484, "http://127.0.0.1:8484/store"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000/store"),
        ("::1", 8484, "http://[::1]:8484/store"),
        ("localhost", 8484, "http://localhost:8484/store"),
    ],
)
def test_the_demo_push_url_is_this_servers_store(host: str, port: int, url: str) -> None:
    assert default_push_url(host, port) == url


def test_settings_host_and_port_give_the_default(settings: Settings) -> None:
    assert default_push_url(settings.host, settings.port) == "http://127.0.0.1:8484/store"
