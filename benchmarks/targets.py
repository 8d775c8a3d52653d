"""The three servers of a run: dbskit, the bare Starlette route, and Stoplight Prism.

dbskit and the bare route run under uvicorn with the same flags and worker count. Prism is the
``@stoplight/prism-cli`` package (the one ``npx @stoplight/prism-cli mock`` runs), installed once
into a cache directory outside the checkout and started directly, so that npm's own start-up is
not counted as Prism's.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from benchmarks import bare_postgres, servers
from benchmarks._paths import CACHE_DIR, REPO, child_env, reference_spec, use_checkout_sources
from benchmarks.calls import GeneratedStore
from benchmarks.workloads import BARE, BARE_POSTGRES, BARE_POSTGRES_TARGET, PRISM_READY

UVICORN_FLAGS = ("--loop", "uvloop", "--http", "httptools", "--no-access-log")
PRISM_PACKAGE = "@stoplight/prism-cli"
PRISM_VERSION = "5.16.0"
_NPM_INSTALL_TIMEOUT = 300


def start_dbskit(
    *,
    data_dir: Path,
    sandbox_token: str,
    workers: int,
    database_url: str | None = None,
    settings: Mapping[str, str] | None = None,
) -> servers.Server:
    """``python -m dbskit serve`` (its uvicorn flags are UVICORN_FLAGS, set in cli/serve.py)."""
    port = servers.free_port()
    command = [sys.executable, "-m", "dbskit", "serve", "--host", servers.HOST]
    command += ["--port", str(port), "--workers", str(workers), "--data-dir", str(data_dir)]
    if database_url:
        command += ["--database-url", database_url]
    env = child_env({**(settings or {}), "DBSKIT_SANDBOX_TOKEN": sandbox_token})
    return servers.start(
        "dbskit",
        command,
        port=port,
        env=env,
        ready_path="/sandbox/clock",
        ready_headers={"Sandbox-Token": sandbox_token},
    )


def dbskit_database_url(*, data_dir: Path, database_url: str | None) -> str:
    """The database ``start_dbskit`` serves: ``database_url``, or the SQLite file of its data
    dir."""
    if database_url:
        return database_url
    use_checkout_sources()
    from dbskit.settings import SQLITE_FILE_NAME

    return f"sqlite:///{(data_dir / SQLITE_FILE_NAME).resolve()}"


def start_store(*, data_dir: Path, store: GeneratedStore) -> servers.Server:
    """``python -m dbskit store serve`` on the generated store; it loads the data before it
    listens, so the first answer (405 to a GET of /cart) comes once the data are loaded."""
    port = servers.free_port()
    command = [sys.executable, "-m", "dbskit", "store", "serve", "--host", servers.HOST]
    command += ["--port", str(port), "--data-dir", str(data_dir)]
    command += ["--store-data", str(store.settings_path)]
    env = child_env({"DBSKIT_STORE_TOKEN": store.token})
    return servers.start("store", command, port=port, env=env, ready_path="/cart", ready_status=405)


def start_bare(*, workers: int) -> servers.Server:
    port = servers.free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.bare:app", "--app-dir", str(REPO)]
    command += ["--host", servers.HOST, "--port", str(port), "--workers", str(workers)]
    command += UVICORN_FLAGS
    return servers.start("bare", command, port=port, env=child_env(), ready_path=BARE.path)


def start_bare_postgres(*, workers: int, database_url: str) -> servers.Server:
    """The bare route's server running a write method's two round trips on ``database_url``
    (``benchmarks/bare_postgres.py``)."""
    port = servers.free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.bare_postgres:app"]
    command += ["--app-dir", str(REPO), "--host", servers.HOST, "--port", str(port)]
    command += ["--workers", str(workers), *UVICORN_FLAGS]
    env = child_env({bare_postgres.URL_VARIABLE: database_url})
    # Its connections are open before uvicorn listens: any answer (405 to a GET) means ready.
    return servers.start(
        BARE_POSTGRES_TARGET,
        command,
        port=port,
        env=env,
        ready_path=BARE_POSTGRES.path,
        ready_status=405,
    )


def prism_unavailable() -> str | None:
    """Why Prism cannot run here, or None. Installs the pinned version on first use."""
    if reference_spec() is None:
        return "the reference spec ../shared/reference/openapi/partner-api-dbs.yaml is absent"
    if _prism_bin().exists():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed"
    print(f"installing {PRISM_PACKAGE}@{PRISM_VERSION} into {_prism_dir()} ...", flush=True)
    _prism_dir().mkdir(parents=True, exist_ok=True)
    install = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", "."]
    install.append(f"{PRISM_PACKAGE}@{PRISM_VERSION}")
    try:
        subprocess.run(
            install,
            capture_output=True,
            text=True,
            cwd=_prism_dir(),
            timeout=_NPM_INSTALL_TIMEOUT,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        return f"npm install {PRISM_PACKAGE} failed: {exc.stderr.strip()[-500:]}"
    except subprocess.TimeoutExpired:
        return f"npm install {PRISM_PACKAGE} took over {_NPM_INSTALL_TIMEOUT} s"
    return None if _prism_bin().exists() else f"npm did not install {_prism_bin()}"


def start_prism() -> servers.Server:
    """Prism mocking the reference spec; ready when it answers a method of the spec (with the
    Api-Key it checks) with the spec's example."""
    spec = reference_spec()
    assert spec is not None
    port = servers.free_port()
    command = [str(_prism_bin()), "mock", "--host", servers.HOST, "--port", str(port)]
    # No log line per request, as uvicorn's --no-access-log.
    command += ["--verboseLevel", "warn", str(spec)]
    return servers.start(
        "prism",
        command,
        port=port,
        env=child_env(),
        ready_path=PRISM_READY.path,
        ready_headers=PRISM_READY.headers,
    )


def prism_version() -> str:
    return f"{PRISM_PACKAGE}@{PRISM_VERSION}"


def _prism_dir() -> Path:
    return CACHE_DIR / f"prism-cli-{PRISM_VERSION}"


def _prism_bin() -> Path:
    return _prism_dir() / "node_modules" / ".bin" / "prism"


@contextmanager
def fresh_postgres_database(url: str) -> Iterator[str]:
    """A new, empty database on the server of ``url`` for one run; dropped afterwards."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    admin = make_url(url).set(drivername="postgresql")
    name = f"dbskit_bench_{secrets.token_hex(4)}"
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
