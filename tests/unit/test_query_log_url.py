"""Where the query log is kept: beside an SQLite database, inside a PostgreSQL one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbskit.settings import Settings, query_log_url


@pytest.mark.decision("Query log")
@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("sqlite:////data/dbskit.sqlite3", "sqlite:////data/dbskit.query-log.sqlite3"),
        ("sqlite:///relative/x.db", "sqlite:///relative/x.query-log.db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_the_query_log_url_follows_the_database(database_url: str, expected: str) -> None:
    assert query_log_url(database_url) == expected


@pytest.mark.decision("Query log")
def test_the_default_data_dir_keeps_two_files(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url.endswith("/dbskit.sqlite3")
    assert settings.resolved_query_log_url == settings.resolved_database_url.replace(
        "dbskit.sqlite3", "dbskit.query-log.sqlite3"
    )
