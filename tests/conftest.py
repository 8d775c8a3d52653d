"""Shared fixtures: settings on a temporary database, the app, and an HTTP client over ASGI.

The ``database_url`` fixture runs a test on SQLite and, when DBSKIT_TEST_POSTGRES_URL names a
PostgreSQL server, again on PostgreSQL in a schema of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dbskit.app import create_app
from dbskit.settings import Settings
from tests import markers

SANDBOX_TOKEN = "test-sandbox-token"
POSTGRES_URL_VARIABLE = "DBSKIT_TEST_POSTGRES_URL"

pytest_plugins = ["pytester"]  # tests/unit/test_markers.py runs pytest on small projects


def pytest_addoption(parser: pytest.Parser) -> None:
    markers.add_options(parser)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test names the rules and decisions it checks on itself (tests/markers.py)."""
    markers.check_collection(config, items)


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dbskit.sqlite3'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_URL_VARIABLE} to run this case")
    yield from _postgres_schema(base)


def _postgres_schema(base: str) -> Iterator[str]:
    import sqlalchemy as sa

    from dbskit.settings import normalise_database_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalise_database_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A fresh redis-server for this test (skipped with a message when it is not installed)."""
    from tests.redis_server import running_redis

    with running_redis() as url:
        yield url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or with indirect parametrisation) to change settings."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, database_url: str, settings_overrides: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "sandbox_token": SANDBOX_TOKEN,
        "scheduler_interval_seconds": 3600,
        "clock_refresh_seconds": 3600,
    }
    values.update(settings_overrides)
    return Settings(**values)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://dbskit.test") as http:
        yield http


@pytest.fixture
def sandbox_headers() -> dict[str, str]:
    return {"Sandbox-Token": SANDBOX_TOKEN, "Content-Type": "application/json"}


def envelope(*errors: tuple[str, str]) -> dict[str, Any]:
    """The R-071 error body with these (code, message) pairs."""
    return {"status": "ERROR", "errors": [{"code": c, "message": m} for c, m in errors]}
