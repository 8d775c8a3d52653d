"""Options whose driver is an extra say how to install it, before anything starts."""

from __future__ import annotations

import importlib.util
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbskit.cli import app
from dbskit.database.db import Database
from dbskit.extras import MissingExtra
from dbskit.market.limits.storage import counter_storage


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Module names to make look uninstalled."""
    hidden: set[str] = set()
    find_spec = importlib.util.find_spec

    def fake(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name in hidden else find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    return hidden


@pytest.mark.decision("Installation and extras")
def test_a_postgresql_url_without_psycopg_names_the_extra(without: set[str]) -> None:
    without.add("psycopg")
    with pytest.raises(MissingExtra) as raised:
        Database("postgresql+psycopg://user@127.0.0.1/db")
    assert str(raised.value) == (
        "a PostgreSQL database URL needs the psycopg package: pip install 'dbskit[postgres]'"
    )


@pytest.mark.decision("Installation and extras")
def test_a_redis_url_without_redis_names_the_extra(without: set[str]) -> None:
    without.add("redis")
    with pytest.raises(MissingExtra) as raised:
        counter_storage("redis://127.0.0.1:6379/0")
    assert str(raised.value) == "--redis-url needs the redis package: pip install 'dbskit[redis]'"


@pytest.mark.decision("Installation and extras")
def test_serve_stops_before_starting_with_the_install_command(
    without: set[str], tmp_path: Path
) -> None:
    without.add("redis")
    result = CliRunner().invoke(
        app,
        ["serve", "--data-dir", str(tmp_path), "--redis-url", "redis://127.0.0.1:6379/0"],
    )
    assert result.exit_code == 2
    assert "--redis-url needs the redis package: pip install 'dbskit[redis]'" in result.output
    assert "Market emulator on" not in result.output


@pytest.mark.decision("Installation and extras")
def test_sqlite_needs_no_extra(without: set[str], tmp_path: Path) -> None:
    without.update({"psycopg", "redis"})
    database = Database(f"sqlite:///{tmp_path / 'dbskit.sqlite3'}")
    database.dispose()
    assert counter_storage(None) is not None
