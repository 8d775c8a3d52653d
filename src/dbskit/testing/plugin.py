"""dbskit's pytest plugin (the ``pytest11`` entry point ``dbskit``).

It loads into every pytest run where dbskit is installed, so this module defines options and
fixtures only: the server, httpx and the client are imported inside the fixtures, and nothing
runs unless a test asks for ``dbskit_server`` or ``dbskit`` (no autouse fixture, no hook that
acts). docs/decisions.md, "The pytest plugin", says what isolation a test gets.

- ``dbskit_server`` (session): a ``DbskitServer``: ``base_url``, ``sandbox_token``, ``control``
  (a ``SandboxControl``). Started as ``python -m dbskit serve`` on a free loopback port with a
  data dir under pytest's temporary directory, one per xdist worker; or, with ``--dbskit-url``
  (or ``DBSKIT_URL``), a server already running, with ``--dbskit-sandbox-token`` (or
  ``DBSKIT_SANDBOX_TOKEN``).
- ``dbskit`` (each test): a ``DbskitHelper`` with a campaign and Api-Key of the test's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from dbskit.testing.helper import DbskitHelper
    from dbskit.testing.server import DbskitServer

URL_OPTION: Final = "--dbskit-url"
TOKEN_OPTION: Final = "--dbskit-sandbox-token"  # noqa: S105 - an option name
SERVE_ARG_OPTION: Final = "--dbskit-serve-arg"
URL_VARIABLE: Final = "DBSKIT_URL"
TOKEN_VARIABLE: Final = "DBSKIT_SANDBOX_TOKEN"  # noqa: S105 - a variable name


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dbskit", "dbskit: a Yandex.Market DBS Partner API emulator")
    group.addoption(
        URL_OPTION,
        default=None,
        help=f"use the dbskit server at this URL instead of starting one (env {URL_VARIABLE}); "
        "each test then resets only its own campaign",
    )
    group.addoption(
        TOKEN_OPTION,
        default=None,
        help=f"the Sandbox-Token of the server given by {URL_OPTION} (env {TOKEN_VARIABLE})",
    )
    group.addoption(
        SERVE_ARG_OPTION,
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for the dbskit serve the plugin starts (repeat it: "
        f"{SERVE_ARG_OPTION}=--profile {SERVE_ARG_OPTION}=2026)",
    )


@pytest.fixture(scope="session")
def dbskit_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DbskitServer]:
    """The session's dbskit server (one per xdist worker): ``base_url``, ``sandbox_token``,
    ``control`` (the /sandbox calls). Started on first use, stopped at the session's end."""
    from dbskit.testing.server import external_server, start_server

    config = request.config
    url = config.getoption(URL_OPTION) or os.environ.get(URL_VARIABLE)
    if url:
        token = config.getoption(TOKEN_OPTION) or os.environ.get(TOKEN_VARIABLE)
        if not token:
            raise pytest.UsageError(
                f"{URL_OPTION} ({URL_VARIABLE}) needs the server's Sandbox-Token: "
                f"{TOKEN_OPTION} or {TOKEN_VARIABLE}"
            )
        server = external_server(url, token)
    else:
        # Under xdist each worker has a base temporary directory of its own.
        data_dir = tmp_path_factory.mktemp("dbskit-server")
        server = start_server(data_dir, extra_args=config.getoption(SERVE_ARG_OPTION))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dbskit(dbskit_server: DbskitServer) -> Iterator[DbskitHelper]:
    """A fresh campaign and Api-Key on the session's server, and the sandbox's levers.

    On the server the plugin started, the whole sandbox is reset first (orders, outbox, query
    log, faults, limit counters; the clock back to real time). On a server given by
    ``--dbskit-url``, which others may share, nothing global is reset: the test's campaign is its
    own, and after the test its part and the fault rules it added are cleared."""
    from dbskit.testing.helper import DbskitHelper

    if dbskit_server.owned:
        dbskit_server.control.reset()
    helper = DbskitHelper(dbskit_server.base_url, dbskit_server.control)
    try:
        yield helper
    finally:
        helper.finish(reset_campaign=not dbskit_server.owned)
