"""The event loop of dbskit's servers: uvloop, with listening sockets that accept every
connection waiting, not one per turn of the loop.

libuv, under uvloop, accepts one connection per turn of the loop (since libuv 1.45). When a pool
of clients connects at once to a busy server, the k-th connection waits k turns, each as long as
the requests answered in it: 64 connections opened together at about 7,000 answers a second
waited up to 0.5 s for their first answer, and those first answers alone set getOrder's p99 at 64
connections (docs/decisions.md "The event loop"). asyncio's own loop accepts everything waiting,
but costs 5-13% more CPU per request than uvloop. So this loop is uvloop, and a server it creates
reads its listening sockets itself, accepting until none is left, and hands each connection to
uvloop with ``connect_accepted_socket``.

uvicorn makes it from its import string (its ``loop`` option, ``cli.serve.uvicorn_options``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

import uvloop

log = logging.getLogger(__name__)

# After an accept() error other than "none left" (out of descriptors, most likely), accepting
# pauses this long, the connections waiting in the backlog, instead of spinning on the error.
ACCEPT_PAUSE_SECONDS = 1.0


class PromptAcceptLoop(uvloop.Loop):
    """uvloop whose plain TCP servers accept every waiting connection in one turn."""

    async def create_server(  # type: ignore[override]  # the parameters uvicorn passes
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        host: str | None = None,
        port: int | None = None,
        *,
        sock: socket.socket | None = None,
        backlog: int = 100,
        ssl: object = None,
    ) -> AcceptingServer:
        if ssl is not None:
            raise ValueError("dbskit serves plain HTTP: put TLS in front of it")
        sockets = [sock] if sock is not None else await self._listening_sockets(host, port)
        return AcceptingServer(self, sockets, protocol_factory, backlog)

    async def _listening_sockets(self, host: str | None, port: int | None) -> list[socket.socket]:
        """Listening sockets for every address of ``host``, as ``loop.create_server`` binds."""
        infos = await self.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        sockets: list[socket.socket] = []
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
        except OSError:
            for sock in sockets:
                sock.close()
            raise
        return sockets


class AcceptingServer(asyncio.AbstractServer):
    """Listening sockets read by the loop: each time one is readable, every connection waiting
    on it is accepted and handed to uvloop."""

    def __init__(
        self,
        loop: PromptAcceptLoop,
        sockets: Iterable[socket.socket],
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        backlog: int,
    ) -> None:
        self._loop = loop
        self._protocol_factory = protocol_factory
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = loop.create_future()
        self.sockets = tuple(sockets)
        for sock in self.sockets:
            sock.setblocking(False)
            sock.listen(backlog)
            self._start(sock)

    def _start(self, sock: socket.socket) -> None:
        if sock.fileno() != -1:
            self._loop.add_reader(sock.fileno(), self._accept_all, sock)

    def _accept_all(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # that client gave up while it waited: on to the next
            except OSError as exc:  # out of descriptors or memory, most likely: wait a while
                log.error("accepting connections paused for %s s: %s", ACCEPT_PAUSE_SECONDS, exc)
                self._loop.remove_reader(sock.fileno())
                self._loop.call_later(ACCEPT_PAUSE_SECONDS, self._start, sock)
                return
            conn.setblocking(False)
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # One task each, so that every connection accepted now is served from the next turn.
            task = self._loop.create_task(self._connect(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._protocol_factory, conn)
        except OSError:
            conn.close()  # it went away before its transport was made

    def close(self) -> None:
        if not self._closed.done():
            self._closed.set_result(None)
        for sock in self.sockets:
            if sock.fileno() != -1:
                self._loop.remove_reader(sock.fileno())
                sock.close()

    async def wait_closed(self) -> None:
        return None

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return any(sock.fileno() != -1 for sock in self.sockets)

    async def start_serving(self) -> None:
        return None

    async def serve_forever(self) -> None:
        await self._closed
