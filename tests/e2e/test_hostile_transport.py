"""Hostile transport against a real ``dbskit serve``: what the HTTP server refuses before the
application, bodies that are too big or never come, NUL characters, 405's ``Allow``, a Redis that
stops answering, and a sandbox clock moved through another instance.

Raw sockets send what an HTTP client library would refuse to send. Time bounds here are hang
detectors only (``HANG``, far beyond every deadline the servers run with).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dbskit.database.db import Database
from dbskit.market.storage.tables import query_log
from dbskit.settings import normalise_database_url, query_log_url
from tests.conftest import envelope
from tests.e2e.raw_http import connect, exchange, read_answer
from tests.e2e.server import Server, running_server, sandbox_seller
from tests.redis_server import running_redis_process

pytestmark = [pytest.mark.e2e]

TOKEN = "hostile-transport-token"
SANDBOX = {"Sandbox-Token": TOKEN}
ENV = {"DBSKIT_SANDBOX_TOKEN": TOKEN}
HANG = 30.0  # seconds: a hang detector, 30 times the 1 s deadlines these servers run with
BODY_READ_TIMEOUT = "1"
TRACK = "/v2/campaigns/{campaign}/orders/1/delivery/track"


@dataclass(frozen=True)
class Seller:
    business_id: int
    campaign_id: int
    api_key: str


def new_seller(base_url: str) -> Seller:
    campaign = httpx.post(base_url + "/sandbox/campaigns", json={}, headers=SANDBOX).json()
    token = httpx.post(
        base_url + "/sandbox/tokens",
        json={"businessId": campaign["businessId"], "scopes": ["all-methods"]},
        headers=SANDBOX,
    ).json()
    return Seller(campaign["businessId"], campaign["campaignId"], token["apiKey"])


def until_true(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` until it holds; failing after ``HANG`` seconds (a hang detector)."""
    deadline = time.monotonic() + HANG
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {HANG} s")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Seller]]:
    """One server on SQLite for the tests whose database does not matter."""
    data_dir = tmp_path_factory.mktemp("transport") / "data"
    env = {**ENV, "DBSKIT_BODY_READ_TIMEOUT": BODY_READ_TIMEOUT}  # --body-read-timeout
    with running_server(["--data-dir", str(data_dir)], env=env, ready_headers=SANDBOX) as server:
        yield server, new_seller(server.base_url)


def _error(status: int, reason: str, code: str, message: str) -> tuple[int, str, Any]:
    return status, reason, envelope((code, message))


def _head(*lines: bytes, target: bytes = b"/v2/delivery/services") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: dbskit.test\r\n" + b"".join(lines)


TARGET_LIMIT = 8 * 1024
NOT_HTTP = "The request is not valid HTTP/1.1: "
HEADERS_TOO_LARGE = (431, "Request Header Fields Too Large", "REQUEST_HEADER_FIELDS_TOO_LARGE")


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        pytest.param(
            b"GARBAGE\r\n\r\n",
            _error(400, "Bad Request", "BAD_REQUEST", NOT_HTTP + "Invalid method encountered"),
            id="bad-request-line",
        ),
        pytest.param(
            _head(b"\r\n", target=b"/v2/caf\xc3\xa9"),
            _error(400, "Bad Request", "BAD_REQUEST", NOT_HTTP + "Invalid char in url path"),
            id="target-not-ascii",
        ),
        pytest.param(
            b"POST /v2/delivery/services HTTP/1.1\r\nHost: x\r\nContent-Length: 12a\r\n\r\n",
            _error(
                400, "Bad Request", "BAD_REQUEST", NOT_HTTP + "Invalid character in Content-Length"
            ),
            id="bad-content-length",
        ),
        pytest.param(
            _head(b"\r\n", target=b"/v2/" + b"a" * 64 * 1024),
            _error(414, "URI Too Long", "URI_TOO_LONG", "The request target is over 8192 bytes"),
            id="64-KB-target",
        ),
        pytest.param(
            _head(b"X-Big: " + b"a" * 20 * 1024 + b"\r\n", b"\r\n"),
            _error(*HEADERS_TOO_LARGE, "The request line and headers are over 16384 bytes"),
            id="20-KB-header",
        ),
        pytest.param(
            _head(b"X-Endless: " + b"a" * 64 * 1024),
            _error(*HEADERS_TOO_LARGE, "The request line and headers are over 16384 bytes"),
            id="endless-header-line",
        ),
        pytest.param(
            _head(*(b"X-%d: 1\r\n" % n for n in range(101)), b"\r\n"),
            _error(*HEADERS_TOO_LARGE, "The request has more than 100 header fields"),
            id="101-header-fields",
        ),
    ],
)
@pytest.mark.decision("The request head")
def test_what_the_server_refuses_before_the_application_is_the_envelope(
    served: tuple[Server, Seller], request_bytes: bytes, expected: tuple[int, str, Any]
) -> None:
    server, _seller = served
    answer = exchange(server.base_url, request_bytes, timeout=HANG)
    assert (answer.status, answer.reason, answer.json()) == expected
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["connection"] == "close"


@pytest.mark.decision("The request head")
def test_a_head_within_the_limits_reaches_the_application(served: tuple[Server, Seller]) -> None:
    server, _seller = served
    # 99 fields with Host and Connection, 15 KB with the target: just within every limit.
    fields = [b"X-%d: %s\r\n" % (n, b"a" * 60) for n in range(97)]
    target = b"/v2/delivery/services?q=" + b"a" * (TARGET_LIMIT - 200)
    answer = exchange(
        server.base_url, _head(*fields, b"Connection: close\r\n\r\n", target=target), timeout=HANG
    )
    assert (answer.status, answer.json()) == (
        401,
        envelope(("UNAUTHORIZED", "Credentials are not specified")),
    )


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v2/delivery/services", "GET, HEAD"),
        ("GET", "/v2/campaigns/1/orders/1/delivery/track.json", "POST"),
        ("POST", "/campaigns/1/orders/1", "GET, HEAD"),
        ("DELETE", "/sandbox/clock", "GET, POST"),
        ("PATCH", "/sandbox/campaigns/1/orders/2", "GET"),
    ],
)
@pytest.mark.rule("R-082")
@pytest.mark.decision("405 and Allow")
def test_405_names_the_methods_of_the_path(
    served: tuple[Server, Seller], method: str, path: str, allow: str
) -> None:
    server, _seller = served
    response = httpx.request(method, server.base_url + path, headers=SANDBOX, timeout=HANG)
    assert (response.status_code, response.headers.get("allow"), response.json()) == (
        405,
        allow,
        envelope(("METHOD_NOT_ALLOWED", f"Request method '{method}' not supported")),
    )


@pytest.mark.rule("R-088")
@pytest.mark.decision("Request bodies")
def test_a_declared_body_over_512_kb_is_refused_before_it_comes(
    served: tuple[Server, Seller],
) -> None:
    server, seller = served
    head = (
        f"POST {TRACK.format(campaign=seller.campaign_id)} HTTP/1.1\r\nHost: x\r\n"
        f"Api-Key: {seller.api_key}\r\nContent-Type: application/json\r\n"
        "Content-Length: 600000\r\n\r\n"
    ).encode()
    with connect(server.base_url, timeout=HANG) as sock:
        sock.sendall(head)  # and nothing more: the answer must not wait for the body
        answer = read_answer(sock)
    assert (answer.status, answer.json()) == (
        400,
        envelope(("BAD_REQUEST", "The request is too big: the body is over 524288 bytes")),
    )


@pytest.mark.rule("R-086")
@pytest.mark.decision("Request bodies")
def test_a_stalled_body_is_408_and_holds_no_parallel_slot(served: tuple[Server, Seller]) -> None:
    server, seller = served
    directory = httpx.get(
        server.base_url + "/v2/delivery/services", headers={"Api-Key": seller.api_key}
    )
    assert directory.status_code == 200
    head = (
        f"POST {TRACK.format(campaign=seller.campaign_id)} HTTP/1.1\r\nHost: x\r\n"
        f"Api-Key: {seller.api_key}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    ).encode()
    with (
        connect(server.base_url, timeout=HANG) as first,
        connect(server.base_url, timeout=HANG) as second,
    ):
        # Two calls of the token whose bodies stop after 10 bytes: as many as its parallel limit.
        for sock in (first, second):
            sock.sendall(head + b'{"trackCo')
        time.sleep(0.3)  # let the server take both in; not a deadline
        third = httpx.get(
            server.base_url + "/v2/delivery/services",
            headers={"Api-Key": seller.api_key},
            timeout=HANG,
        )
        assert (third.status_code, third.json()) == (200, directory.json())
        late = [read_answer(sock) for sock in (first, second)]
    expected = envelope(("REQUEST_TIMEOUT", "The request body did not arrive within 1 s"))
    assert [(a.status, a.reason, a.headers["connection"], a.json()) for a in late] == [
        (408, "Request Timeout", "close", expected)
    ] * 2


@pytest.mark.decision("Text with the NUL character")
def test_nul_in_a_text_value_is_the_same_400_on_both_databases(
    tmp_path: Path, database_url: str
) -> None:
    args = ["--data-dir", str(tmp_path / "data"), "--database-url", database_url]
    with running_server(args, env=ENV, ready_headers=SANDBOX) as server:
        seller = new_seller(server.base_url)
        base = server.base_url
        campaigns = base + "/sandbox/campaigns"
        order = {
            "items": [
                {"offerId": "kettle-1", "offerName": "Kettle\u0000", "count": 1, "price": 990}
            ],
            "delivery": {"type": "DELIVERY"},
        }
        answers = [
            httpx.post(campaigns, json={"name": "shop\u0000"}, headers=SANDBOX),
            httpx.post(
                campaigns,
                json={"pushUrl": "http://127.0.0.1:1/", "pushAuthToken": "\u0000secret"},
                headers=SANDBOX,
            ),
            httpx.post(f"{campaigns}/{seller.campaign_id}/orders", json=order, headers=SANDBOX),
            httpx.post(
                base + TRACK.format(campaign=seller.campaign_id),
                json={"trackCode": "TRACK\u00001", "deliveryServiceId": 99},
                headers={"Api-Key": seller.api_key},
            ),
        ]
    nul = "Value of field {} must not contain the NUL character"
    assert [(answer.status_code, answer.json()) for answer in answers] == [
        (400, envelope(("BAD_REQUEST", nul.format(field))))
        for field in ("name", "pushAuthToken", "items[0].offerName", "trackCode")
    ]


@pytest.mark.decision("Query log")
def test_nul_in_a_call_is_logged_and_blocks_no_later_entry(
    tmp_path: Path, database_url: str
) -> None:
    args = [
        "--data-dir",
        str(tmp_path / "data"),
        "--database-url",
        database_url,
        "--query-log-flush-seconds",
        "3600",  # only GET /sandbox/requests and the clean stop write the log
    ]
    with running_server(args, env=ENV, ready_headers=SANDBOX) as server:
        base = server.base_url
        calls = [
            httpx.get(base + "/v2/campaigns/1/orders/%00"),
            httpx.post(base + "/v2/delivery/services?q=%00", content=b'{"a": "\x00"}'),
            httpx.get(base + "/v2/delivery/services"),
        ]
        page = httpx.get(base + "/sandbox/requests", headers=SANDBOX, timeout=HANG)
        after = httpx.get(base + "/v2/campaigns/2/orders/%00")
    unauthorized = envelope(("UNAUTHORIZED", "Credentials are not specified"))
    assert [(call.status_code, call.json()) for call in [*calls, after]] == [
        (401, unauthorized),
        (
            405,
            envelope(("METHOD_NOT_ALLOWED", "Request method 'POST' not supported")),
        ),
        (401, unauthorized),
        (401, unauthorized),
    ]
    assert page.status_code == 200, page.text
    logged = page.json()
    assert [
        (entry["method"], entry["path"], entry["query"], entry["status"], entry["request"]["body"])
        for entry in logged["requests"]
    ] == [
        ("GET", "/v2/delivery/services", "", 401, ""),
        ("POST", "/v2/delivery/services", "q=%00", 405, '{"a": "\ufffd"}'),
        ("GET", "/v2/campaigns/1/orders/\ufffd", "", 401, ""),
    ]
    assert (logged["paging"], logged["droppedEntries"]) == ({}, 0)

    # The clean stop wrote the call made after the page.
    db = Database(query_log_url(normalise_database_url(database_url)))
    try:
        with db.read() as conn:
            paths = conn.execute(sa.select(query_log.c.path).order_by(query_log.c.id)).scalars()
            stored = list(paths)
    finally:
        db.dispose()
    assert stored == [
        "/v2/campaigns/1/orders/\ufffd",
        "/v2/delivery/services",
        "/v2/delivery/services",
        "/v2/campaigns/2/orders/\ufffd",
    ]


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.decision("Limits")
def test_a_stalled_redis_is_503_and_calls_come_back_with_it(tmp_path: Path) -> None:
    with running_redis_process() as (redis_url, redis_process):
        args = ["--data-dir", str(tmp_path / "data"), "--redis-url", redis_url]
        with running_server(args, env=ENV, ready_headers=SANDBOX) as server:
            seller = new_seller(server.base_url)
            url = server.base_url + "/v2/delivery/services"
            key = {"Api-Key": seller.api_key}
            assert httpx.get(url, headers=key, timeout=HANG).status_code == 200
            os.kill(redis_process.pid, signal.SIGSTOP)
            try:
                stalled = httpx.get(url, headers=key, timeout=HANG)
            finally:
                os.kill(redis_process.pid, signal.SIGCONT)
            assert (stalled.status_code, stalled.json()) == (
                503,
                envelope(
                    (
                        "SERVICE_UNAVAILABLE",
                        "Service temporarily unavailable. Please, try again later",
                    )
                ),
            )
            until_true(
                lambda: httpx.get(url, headers=key, timeout=HANG).status_code == 200,
                "calls are served again once Redis answers",
            )


class HeldStore:
    """A store's notification endpoint that takes connections and answers none until
    ``release``."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.connected = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            self.connected.set()

    def release(self) -> None:
        self._listener.close()
        for connection in self._connections:
            connection.close()
        self._thread.join(timeout=HANG)


@pytest.mark.slow
@pytest.mark.decision("The sandbox clock")
def test_a_clock_moved_through_one_instance_moves_the_others_limit_window(
    tmp_path: Path, database_url: str
) -> None:
    shared = ["--data-dir", str(tmp_path / "data"), "--database-url", database_url]
    # The first instance runs no background work during the test; the second follows the clock
    # every 0.2 s and runs scheduled events at once, one of which the store holds.
    first_args = [
        *shared,
        "--scheduler-interval-seconds",
        "3600",
        "--clock-refresh-seconds",
        "3600",
    ]
    second_args = [
        *shared,
        "--scheduler-interval-seconds",
        "0.1",
        "--clock-refresh-seconds",
        "0.2",
        "--notification-timeout-seconds",
        "600",
    ]
    store = HeldStore()
    try:
        with (
            running_server(first_args, env=ENV, ready_headers=SANDBOX) as first,
            running_server(second_args, env=ENV, ready_headers=SANDBOX) as second,
        ):
            seller = sandbox_seller(
                first.base_url, TOKEN, orders=1, campaign={"notificationUrl": store.url}
            )
            key = seller.api_key
            # The second instance is now delivering ORDER_CREATED to a store that does not answer.
            assert store.connected.wait(HANG)

            def until(server: Server) -> str:
                answer = httpx.get(
                    server.base_url + "/v2/delivery/services",
                    headers={"Api-Key": key},
                    timeout=HANG,
                )
                assert answer.status_code == 200, answer.text
                return answer.headers["X-RateLimit-Resource-Until"]

            before = until(second)
            moved = httpx.post(
                first.base_url + "/sandbox/clock",
                json={"advanceSeconds": 3600},
                headers=SANDBOX,
                timeout=HANG,
            )
            assert moved.status_code == 200, moved.text
            after = until(first)
            assert after != before
            until_true(
                lambda: until(second) == after,
                "the second instance's limit window follows the clock",
            )
    finally:
        store.release()
