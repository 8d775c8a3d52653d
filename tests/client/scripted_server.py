"""A local HTTP server that answers from a script: a status and body, or a dropped connection.

Each request is read whole (head and ``Content-Length`` body), recorded, and answered by the next
step of the script, one connection per request (``Connection: close``).
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # a JSON document
    headers: tuple[tuple[str, str], ...] = ()


DROP = Reply(0)  # close the connection without answering


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    steps: list[Reply]
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_step(self, request: Received) -> Reply:
        with self.lock:
            self.received.append(request)
            return self.steps.pop(0) if self.steps else Reply(500, {"status": "ERROR"})


def _read_request(connection: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    method, path, _ = request_line.split(" ", 2)
    return Received(method, path, headers, body)


def _answer(reply: Reply) -> bytes:
    body = json.dumps(reply.body).encode() if reply.body is not None else b""
    lines = [f"HTTP/1.1 {reply.status} Scripted", f"Content-Length: {len(body)}"]
    lines += ["Content-Type: application/json", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in reply.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@contextmanager
def scripted_server(steps: list[Reply]) -> Iterator[tuple[str, Script]]:
    """A server on a free loopback port answering ``steps`` in order; yields its URL."""
    script = Script(list(steps))

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            request = _read_request(self.request)
            if request is None:
                return
            reply = script.next_step(request)
            if reply is not DROP:
                self.request.sendall(_answer(reply))

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
