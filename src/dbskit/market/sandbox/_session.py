"""The browser's way in to the control plane's docs: a session cookie derived from the token.

A browser cannot send the ``Sandbox-Token`` header, so ``GET /sandbox/docs?token=<token>``
exchanges the token, once, for a cookie and redirects to the address without it. The cookie holds
an HMAC of the token, not the token; it is ``HttpOnly`` (no script reads it), ``SameSite=Strict``
(no other site's page sends it, so no cross-site request can drive the sandbox) and limited to
``/sandbox``. Changing the token ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from typing import Final
from urllib.parse import parse_qs

COOKIE: Final = "dbskit_sandbox_session"
TOKEN_PARAMETER: Final = "token"  # noqa: S105 - a parameter name
DOCS_PATH: Final = "/sandbox/docs"
# Ours: a working day; the docs page signs in again with the token after that.
MAX_AGE_SECONDS: Final = 12 * 3600
_PURPOSE = b"dbskit sandbox session 1"
_COOKIE_HEADER = b"cookie"


def session_value(secret: str) -> str:
    """The cookie's value for this token."""
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).hexdigest()


def has_session(secret: str, headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """A ``Cookie`` header carries this token's session."""
    expected = session_value(secret).encode()
    for name, value in headers:
        if name != _COOKIE_HEADER:
            continue
        try:
            jar = SimpleCookie(value.decode("latin-1"))
        except CookieError:
            continue
        morsel = jar.get(COOKIE)
        if morsel is not None and hmac.compare_digest(morsel.value.encode(), expected):
            return True
    return False


def docs_sign_in(secret: str, path: str, query_string: bytes) -> bool:
    """``GET /sandbox/docs?token=<this token>``: the one request that may bring the token in
    the query, to be exchanged for the cookie."""
    if path != DOCS_PATH or not secret.strip():
        return False
    given = parse_qs(query_string.decode("latin-1")).get(TOKEN_PARAMETER, [])
    return len(given) == 1 and hmac.compare_digest(given[0].encode(), secret.encode())


def cookie_header(secret: str, *, secure: bool) -> str:
    """The ``Set-Cookie`` value that opens the control plane to this browser."""
    parts = [
        f"{COOKIE}={session_value(secret)}",
        "Path=/sandbox",
        f"Max-Age={MAX_AGE_SECONDS}",
        "HttpOnly",
        "SameSite=Strict",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
