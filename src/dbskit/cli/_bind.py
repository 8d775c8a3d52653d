"""Whether a server can listen where it was asked, checked before it prints anything: a port
already taken is reported as the reason it stops, not after a banner that says it runs."""

from __future__ import annotations

import errno
import socket


class CannotListen(Exception):
    """The host and port cannot be bound (taken, not an address of this machine, no right)."""


def check_can_listen(host: str, port: int) -> None:
    """Bind ``host:port`` as the server will (SO_REUSEADDR, like uvicorn) and let it go again.

    The server binds it again a moment later; a process that takes the port in between still
    makes the server fail, with uvicorn's own message.
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = addresses[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if exc.errno == errno.EADDRINUSE:
                reason = f"{reason} (another server listens there; choose one with --port)"
            raise CannotListen(f"cannot listen on {host}:{port}: {reason}") from None
