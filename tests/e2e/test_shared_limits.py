"""Two real ``dbskit serve`` processes sharing one Redis and one database (R-083, R-085, R-111).

Their combined traffic spends one budget: request N+1 gets the 420 whichever process answers it.
Each process writes its query log in batches; stopping them cleanly loses no entry.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from dbskit.database.db import Database
from dbskit.market.storage.tables import query_log
from dbskit.settings import SQLITE_FILE_NAME, query_log_url
from tests.e2e.server import running_server
from tests.redis_server import running_redis

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.slow]

TOKEN = "e2e-sandbox-token"
SANDBOX = {"Sandbox-Token": TOKEN}
LIMIT = 5


@pytest.mark.rule("R-083", "R-084", "R-085", "R-111", "C-11")
def test_two_processes_share_the_budget_and_keep_their_logs(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {
        "DBSKIT_SANDBOX_TOKEN": TOKEN,
        "DBSKIT_LIMIT_OVERRIDES": f'{{"getDeliveryServices": {LIMIT}}}',
        "DBSKIT_QUERY_LOG_FLUSH_SECONDS": "3600",  # only a clean stop writes the log
    }
    with running_redis() as redis_url:
        args = ["--data-dir", str(data_dir), "--redis-url", redis_url]
        with (
            running_server(args, env=env, ready_headers=SANDBOX) as first,
            running_server(args, env=env, ready_headers=SANDBOX) as second,
            httpx.Client(timeout=10) as http,
        ):
            campaign = http.post(
                first.base_url + "/sandbox/campaigns", json={}, headers=SANDBOX
            ).json()
            key = http.post(
                first.base_url + "/sandbox/tokens",
                json={"businessId": campaign["businessId"], "scopes": ["all-methods"]},
                headers=SANDBOX,
            ).json()["apiKey"]
            answers = [
                http.get(
                    (first, second)[n % 2].base_url + "/v2/delivery/services",
                    headers={"Api-Key": key},
                )
                for n in range(LIMIT + 2)
            ]
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * LIMIT + [420, 420]
    remaining = [answer.headers["X-RateLimit-Resource-Remaining"] for answer in answers]
    assert remaining == [str(LIMIT - n) for n in range(1, LIMIT + 1)] + ["0", "0"]
    assert {answer.headers["X-RateLimit-Resource-Limit"] for answer in answers} == {str(LIMIT)}
    over = answers[LIMIT]
    assert over.reason_phrase == "Enhance Your Calm"
    assert over.json() == {
        "status": "ERROR",
        "errors": [
            {
                "code": "METHOD_FAILURE",
                "message": f"Hit rate limit of {LIMIT} requests per 1 hour for resource "
                "/delivery/services",
            }
        ],
    }

    db = Database(query_log_url(f"sqlite:///{data_dir / SQLITE_FILE_NAME}"))
    try:
        with db.read() as conn:
            rows = conn.execute(
                sa.select(query_log.c.status).order_by(query_log.c.at, query_log.c.id)
            ).all()
    finally:
        db.dispose()
    assert sorted(row.status for row in rows) == sorted(statuses)
