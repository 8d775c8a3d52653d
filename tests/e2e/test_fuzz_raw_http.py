"""A raw-HTTP fuzzer against a real server process, on SQLite and on PostgreSQL.

Whatever bytes arrive, dbskit answers: never a 5xx, never later than the body deadline plus 2 s,
and every refusal in the Market's envelope, those of the HTTP parser (with a status the README
lists) as well as the application's. Afterwards the query log still reads.

CI runs ``FUZZ_CASES_IN_CI`` cases per database, the same ones every time (derandomised); set
``DBSKIT_FUZZ_CASES`` for a longer run with fresh random cases.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from tests.e2e.raw_http import Known, RawAnswer, RawRequest, raw_requests, send
from tests.e2e.server import Server, running_server, sandbox_seller

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FUZZ_CASES_IN_CI = 2000
BODY_READ_TIMEOUT = 1.0  # seconds: the server's deadline for a body that stalls
ANSWER_WITHIN = BODY_READ_TIMEOUT + 2
SANDBOX_TOKEN = "fuzz-sandbox-token"
# What the HTTP parser answers before the application sees a request (README: "Limits of the
# HTTP server"): a request it cannot read, a URL or a header section over its limit.
PARSER_STATUSES = frozenset({400, 414, 431})
PARSER_CODES = frozenset({"BAD_REQUEST", "URI_TOO_LONG", "REQUEST_HEADER_FIELDS_TOO_LARGE"})


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    args = ["--database-url", database_url, "--body-read-timeout", str(BODY_READ_TIMEOUT)]
    env = {"DBSKIT_SANDBOX_TOKEN": SANDBOX_TOKEN}
    with running_server(args, env=env, ready_headers={"Sandbox-Token": SANDBOX_TOKEN}) as started:
        yield started


def _cases() -> int:
    return int(os.environ.get("DBSKIT_FUZZ_CASES") or FUZZ_CASES_IN_CI)


@pytest.mark.rule("R-071", "R-080", "R-081", "R-082", "R-088")
@pytest.mark.decision("Limits of the HTTP server")
def test_every_request_is_answered_in_time_without_a_5xx(server: Server) -> None:
    statuses: Counter[int] = Counter()
    seller = sandbox_seller(server.base_url, SANDBOX_TOKEN, orders=1, delivery_type="DIGITAL")
    known = Known(seller.campaign_id, seller.order_ids[0], seller.api_key, SANDBOX_TOKEN)

    @settings(
        max_examples=_cases(),
        deadline=None,
        database=None,
        derandomize="DBSKIT_FUZZ_CASES" not in os.environ,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=raw_requests(known))
    def answered(request: RawRequest) -> None:
        answer = send(server.base_url, request, timeout=ANSWER_WITHIN)
        statuses[answer.status] += 1
        assert not answer.timed_out, "no answer within the body deadline plus 2 s"
        assert answer.status != 0, "the connection closed without an answer"
        assert answer.status < 500, _describe(answer)
        if request.method != "HEAD":
            _assert_shape(answer)

    answered()
    print(f"\n{sum(statuses.values())} requests, by status: {dict(sorted(statuses.items()))}")
    requests = httpx.get(
        server.base_url + "/sandbox/requests",
        headers={"Sandbox-Token": SANDBOX_TOKEN},
        timeout=30,
    )
    assert requests.status_code == 200
    assert isinstance(requests.json()["requests"], list)


def _assert_shape(answer: RawAnswer) -> None:
    """Every refusal is the Market's envelope, the HTTP parser's included (README)."""
    if answer.status < 400:
        return
    try:
        body = json.loads(answer.body)
    except ValueError:
        raise AssertionError(_describe(answer)) from None
    assert body["status"] == "ERROR", _describe(answer)
    assert body["errors"], _describe(answer)
    for error in body["errors"]:
        assert set(error) == {"code", "message"}, _describe(answer)
    if body["errors"][0]["code"] in PARSER_CODES:
        assert answer.status in PARSER_STATUSES, _describe(answer)


def _describe(answer: RawAnswer) -> str:
    return f"{answer.status} {answer.headers} {answer.body[:300]!r}"
