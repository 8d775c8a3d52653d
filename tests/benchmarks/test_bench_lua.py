"""bench.lua: request variants spread over the connections, and a new number per request."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from benchmarks.calls import SEQUENCE_DIGITS, SEQUENCE_MARKER
from benchmarks.load import run_wrk
from benchmarks.workloads import Call, Variant

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
]


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    seen: ClassVar[list[tuple[str, str | None, str]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        with self.lock:
            self.seen.append((self.path, self.headers.get("X-Token"), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # wrk drops its connections when the run ends


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[tuple[str, str | None, str]]]]:
    _Recorder.seen = []
    server = _QuietServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


def test_every_variant_is_sent_with_its_token_path_and_body(
    recorder: tuple[str, list[tuple[str, str | None, str]]],
) -> None:
    url, seen = recorder
    call = Call(method="POST", path="/default", token_header="X-Token", body="default")
    variants = [Variant(f"key-{n}", f"/orders/{n}", f'{{"order":{n}}}') for n in range(4)]
    variants.append(Variant("key-4"))  # the call's path and body
    result = run_wrk(url, call, connections=2, duration=1, variants=variants)
    assert result.valid
    sent = {(path, token, body) for path, token, body in seen}
    expected = {(f"/orders/{n}", f"key-{n}", f'{{"order":{n}}}') for n in range(4)}
    assert sent == expected | {("/default", "key-4", "default")}


def test_each_request_gets_a_number_no_other_request_of_the_run_had(
    recorder: tuple[str, list[tuple[str, str | None, str]]],
) -> None:
    url, seen = recorder
    call = Call(method="POST", path="/keys")
    body = f'{{"codes":["{SEQUENCE_MARKER}-a","{SEQUENCE_MARKER}-b"]}}'
    variants = [Variant(body=body), Variant(path=f"/track/{SEQUENCE_MARKER}", body="same")]
    result = run_wrk(url, call, connections=2, duration=1, variants=variants)
    assert result.valid and len(seen) >= result.requests > 10
    numbers = []
    digits = rf"(\d{{{SEQUENCE_DIGITS}}})"
    for path, _token, sent in seen:
        if path == "/keys":
            first, second = re.fullmatch(
                rf'{{"codes":\["{digits}-a","{digits}-b"\]}}', sent
            ).groups()  # type: ignore[union-attr]
            assert first == second  # one number per request, wherever the marker is
            numbers.append(first)
        else:
            assert sent == "same"
            numbers.append(re.fullmatch(rf"/track/{digits}", path).group(1))  # type: ignore[union-attr]
    assert len(set(numbers)) == len(numbers)
    # The next run numbers its requests apart from this one's.
    before = set(numbers)
    seen.clear()
    run_wrk(url, call, connections=2, duration=1, variants=variants[:1])
    again = {re.search(digits, sent).group(1) for _, _, sent in seen}  # type: ignore[union-attr]
    assert again and not again & before
