"""The servers' event loop accepts every waiting connection at once (dbskit/event_loop.py)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from typing import cast

import pytest

from dbskit.event_loop import AcceptingServer, PromptAcceptLoop

WAITING = 32
# The listening socket's reader accepts them all; one turn later their tasks hand them to uvloop,
# which calls connection_made on the turn after. uvloop alone needs a turn per connection.
TURNS = 4


class _Echo(asyncio.Protocol):
    """Adds itself to ``made`` once connected, and echoes what it reads."""

    def __init__(self, made: list[_Echo]) -> None:
        self.made = made

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)
        self.made.append(self)

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def _echo() -> tuple[Callable[[], _Echo], list[_Echo]]:
    """A protocol factory, and the connections it has made."""
    made: list[_Echo] = []
    return (lambda: _Echo(made)), made


@pytest.fixture
def loop() -> Iterator[PromptAcceptLoop]:
    loop = PromptAcceptLoop()
    yield loop
    loop.close()


async def _served_within_turns(server: AcceptingServer, made: list[_Echo], clients: int) -> int:
    """How many of ``clients`` connected at once the server has handed to its protocol after
    ``TURNS`` turns of the loop. The kernel completes their connections at once: they wait in the
    listening backlog until the server accepts them."""
    port = server.sockets[0].getsockname()[1]
    connected = [socket.create_connection(("127.0.0.1", port)) for _ in range(clients)]
    try:
        for _ in range(TURNS):
            await asyncio.sleep(0)
        return len(made)
    finally:
        for client in connected:
            client.close()
        server.close()
        await server.wait_closed()


@pytest.mark.decision("The event loop: every waiting connection accepted at once")
def test_connections_waiting_together_are_all_served_within_a_few_turns(
    loop: PromptAcceptLoop,
) -> None:
    protocol, made = _echo()

    async def scenario() -> int:
        server = await loop.create_server(protocol, "127.0.0.1", 0, backlog=128)
        return await _served_within_turns(server, made, WAITING)

    assert loop.run_until_complete(scenario()) == WAITING


@pytest.mark.decision("The event loop: every waiting connection accepted at once")
def test_an_accepted_connection_carries_data_and_a_closed_server_refuses_new_ones(
    loop: PromptAcceptLoop,
) -> None:
    protocol, made = _echo()

    async def scenario() -> tuple[bytes, bool]:
        server = await loop.create_server(protocol, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        echoed = await asyncio.wait_for(reader.readexactly(4), timeout=10)
        assert len(made) == 1
        writer.close()
        server.close()
        await server.wait_closed()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        except ConnectionRefusedError:
            return echoed, False
        return echoed, True

    echoed, still_accepting = loop.run_until_complete(scenario())
    assert echoed == b"ping"
    assert not still_accepting


@pytest.mark.decision("The event loop: every waiting connection accepted at once")
def test_a_socket_bound_beforehand_is_served_as_uvicorn_workers_pass_it(
    loop: PromptAcceptLoop,
) -> None:
    protocol, made = _echo()

    listening = socket.create_server(("127.0.0.1", 0))

    async def scenario() -> int:
        server = await loop.create_server(protocol, sock=listening, backlog=128)
        assert server.sockets[0] is listening
        return await _served_within_turns(server, made, 3)

    assert loop.run_until_complete(scenario()) == 3


@pytest.mark.decision("The event loop: every waiting connection accepted at once")
def test_tls_is_refused_by_name(loop: PromptAcceptLoop) -> None:
    with pytest.raises(ValueError, match="TLS"):
        loop.run_until_complete(loop.create_server(asyncio.Protocol, "127.0.0.1", 0, ssl=object()))
