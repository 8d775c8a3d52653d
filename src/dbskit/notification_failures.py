"""A call to a store that got no answer, named in the classes of the Market's notification log.

Shared by the Market's calls to stores and ``dbskit check-notifications``, so that both name a
refused connection, a timeout or a failed TLS handshake the same way. httpx is imported when a
failure is named, not with this module: a Market that never calls a store does not pay for it.
"""

from __future__ import annotations

import ssl

from dbskit.contract.notifications import DeliveryErrorSubtype, DeliveryErrorType
from dbskit.notification_answers import Verdict, connection_refused, no_answer, no_connection

DEFAULT_PORTS = {"http": 80, "https": 443}


def transport_failure(exc: Exception, timeout: float, connect: float | None = None) -> Verdict:
    """The log class of a call that got no answer (``timeout``: the deadline it was given;
    ``connect``: the time the connection had to open, the whole deadline when None)."""
    import httpx

    cant = DeliveryErrorType.CANT_GET_RESPONSE
    if isinstance(exc, httpx.ConnectTimeout):
        return no_connection(timeout if connect is None else connect)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return no_answer(timeout)
    if isinstance(exc, httpx.ConnectError):
        if _caused_by(exc, ssl.SSLError):
            return Verdict.failed(cant, DeliveryErrorSubtype.SSL_ERROR, str(exc) or "TLS failed")
        if _caused_by(exc, ConnectionRefusedError):
            # Worded as a refusal found by opening the port is, whichever way it was found.
            url = exc.request.url
            return connection_refused(url.host, url.port or DEFAULT_PORTS.get(url.scheme, 0))
        return Verdict.failed(
            cant, DeliveryErrorSubtype.CONNECTION_REFUSED, str(exc) or "Connection refused"
        )
    return Verdict.failed(
        DeliveryErrorType.INVALID_RESPONSE,
        DeliveryErrorSubtype.CANT_PARSE_RESPONSE,
        f"{exc.__class__.__name__}: {exc}".rstrip(": "),
    )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
