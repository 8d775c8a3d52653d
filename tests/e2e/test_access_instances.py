"""Two ``dbskit serve`` processes on one database: one demo, and revocations reach both (R-076)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from dbskit.database.db import Database
from dbskit.market.storage.tables import businesses
from tests.e2e.server import dbskit_env, free_port, stop, wait_for_200

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
CACHE_SECONDS = 1.0


@contextmanager
def started_together(data_dir: Path, count: int) -> Iterator[list[tuple[str, Path]]]:
    """``count`` servers launched at the same moment on one data dir: (base URL, output file)."""
    env = dbskit_env(
        {"DBSKIT_SANDBOX_TOKEN": TOKEN, "DBSKIT_ACCESS_CACHE_SECONDS": str(CACHE_SECONDS)}
    )
    launched = []
    for index in range(count):
        port = free_port()
        output = data_dir.parent / f"server-{index}.log"
        with output.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "dbskit", "serve", "--port", str(port),
                 "--data-dir", str(data_dir)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        launched.append((process, f"http://127.0.0.1:{port}", output))
    try:
        for _, base_url, _ in launched:
            wait_for_200(base_url + "/sandbox/clock", headers=SANDBOX, timeout=40)
        yield [(base_url, output) for _, base_url, output in launched]
    finally:
        for process, _, _ in launched:
            stop(process)


def demo_printed(output: Path) -> tuple[str, str]:
    found = re.search(
        r"demo business  (\d+), campaign (\d+)\n  demo Api-Key   (\S+)", output.read_text()
    )
    assert found is not None, output.read_text()
    return found.group(1) + "/" + found.group(2), found.group(3)


@pytest.mark.rule("R-073", "R-076")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
@pytest.mark.decision("Demo access")
def test_instances_share_one_demo_and_see_each_others_revocations(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with started_together(data_dir, 2) as servers, httpx.Client(timeout=10) as http:
        (first, first_output), (second, second_output) = servers
        assert demo_printed(first_output) == demo_printed(second_output)

        campaign = http.post(first + "/sandbox/campaigns", json={}, headers=SANDBOX).json()
        key = http.post(
            first + "/sandbox/tokens",
            json={"businessId": campaign["businessId"], "scopes": ["pricing"]},
            headers=SANDBOX,
        ).json()["apiKey"]
        headers = {"Api-Key": key}
        path = "/v2/delivery/services"
        assert http.get(second + path, headers=headers).status_code == 200  # now cached there

        revoked = http.post(first + "/sandbox/tokens/revoke", json={"apiKey": key}, headers=SANDBOX)
        assert revoked.status_code == 200
        revoked_at = time.monotonic()
        assert http.get(first + path, headers=headers).status_code == 401  # at once here
        while http.get(second + path, headers=headers).status_code == 200:
            # A hang detector only: the revocation is due within CACHE_SECONDS.
            assert time.monotonic() - revoked_at < 10 * CACHE_SECONDS, "revocation never arrived"
            time.sleep(0.05)
        answer = http.get(second + path, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {
            "status": "ERROR",
            "errors": [{"code": "UNAUTHORIZED", "message": "Api-Key token is revoked"}],
        }

    db = Database(f"sqlite:///{data_dir / 'dbskit.sqlite3'}")
    try:
        with db.read() as conn:
            names = conn.execute(sa.select(businesses.c.name)).scalars().all()
    finally:
        db.dispose()
    assert sorted(names) == ["Demo business", "Sandbox business"]
