"""The cabinet's browser sessions: opened with the Sandbox-Token, carried by a signed cookie.

This is the one place a cabinet session is made and judged: the cabinet (``dbskit.cabinet``)
opens and ends them, and the control plane's guard (``_guard.py``) lets one read the OpenAPI
document and the docs page. It lives here, below both, because the Market may not import the
cabinet.

The cookie holds a random session id, the wall-clock second it was opened and an HMAC-SHA256 of
both under a key derived from the Sandbox-Token: never the token. A token that changes changes
the key, so every session made under the old one stops verifying. Sessions last
``SESSION_SECONDS`` of wall time: the sandbox clock moves days at a time and must not sign the
seller out. Signing out records the session id as ended in this process until it would have
expired anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Final

COOKIE: Final = "dbskit_cabinet_session"
# Ours: a working day, as the docs page's own session (``_session.py``).
SESSION_SECONDS: Final = 12 * 3600
_SESSION_KEY_PURPOSE: Final = b"dbskit cabinet session key 1"
_CSRF_PURPOSE: Final = b"dbskit cabinet csrf 1"
_SIGN_IN_PURPOSE: Final = b"dbskit cabinet sign-in csrf 1"
_SESSION_ID_BYTES: Final = 18  # 144 random bits
_COOKIE_HEADER: Final = b"cookie"


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """A signed-in browser: its session id and when (wall-clock seconds) it was opened."""

    session_id: str
    opened_at: int

    def csrf_token(self, secret: str) -> str:
        """The token every state-changing form of this session carries (a synchronizer token:
        bound to the session, unguessable without the Sandbox-Token)."""
        message = _CSRF_PURPOSE + b"\0" + self.session_id.encode()
        return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()

    def csrf_matches(self, secret: str, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(
            given.encode("utf-8", "replace"), self.csrf_token(secret).encode()
        )


class SessionBook:
    """The sessions of this process that were signed out before they expired."""

    def __init__(self) -> None:
        self._ended: dict[str, int] = {}  # session id -> when it would have expired

    def end(self, session: BrowserSession, *, now: int) -> None:
        self._ended = {sid: until for sid, until in self._ended.items() if until > now}
        self._ended[session.session_id] = session.opened_at + SESSION_SECONDS

    def ended(self, session_id: str) -> bool:
        return session_id in self._ended


ENDED: Final = SessionBook()


def open_session(secret: str, *, now: int) -> tuple[BrowserSession, str]:
    """A new session and its cookie value."""
    session = BrowserSession(secrets.token_urlsafe(_SESSION_ID_BYTES), now)
    payload = f"{session.session_id}.{session.opened_at}"
    return session, f"{payload}.{_signature(secret, payload)}"


def verify_cookie(secret: str, value: str, *, now: int) -> BrowserSession | None:
    """The session a cookie value stands for, or None: forged, made under another token,
    expired, signed out, or from the future."""
    if not secret.strip():
        return None
    parts = value.split(".")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()):
        return None
    session_id, opened, signature = parts
    payload = f"{session_id}.{opened}"
    if not hmac.compare_digest(signature.encode(), _signature(secret, payload).encode()):
        return None
    opened_at = int(opened)
    if not opened_at <= now < opened_at + SESSION_SECONDS or ENDED.ended(session_id):
        return None
    return BrowserSession(session_id, opened_at)


def session_in(
    secret: str, headers: Iterable[tuple[bytes, bytes]], *, now: int
) -> BrowserSession | None:
    """The valid session the request's ``Cookie`` headers carry, if any."""
    for name, raw in headers:
        if name != _COOKIE_HEADER:
            continue
        try:
            jar = SimpleCookie(raw.decode("latin-1"))
        except CookieError:
            continue
        morsel = jar.get(COOKIE)
        if morsel is not None:
            found = verify_cookie(secret, morsel.value, now=now)
            if found is not None:
                return found
    return None


def sign_in_csrf_token(secret: str, nonce: str) -> str:
    """The sign-in form's CSRF token: bound to a random nonce the browser holds in a cookie of
    its own, since there is no session yet."""
    message = _SIGN_IN_PURPOSE + b"\0" + nonce.encode("utf-8", "replace")
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(_SESSION_ID_BYTES)


def set_cookie_header(value: str, *, secure: bool, max_age: int = SESSION_SECONDS) -> str:
    """``Set-Cookie`` for the session: ``HttpOnly`` (no script reads it), ``SameSite=Strict``
    (no other site's page makes the browser send it), ``Path=/`` (the cabinet and the control
    plane's docs), ``Secure`` when the page was served over https."""
    parts = [
        f"{COOKIE}={value}",
        "Path=/",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Strict",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def clear_cookie_header(*, secure: bool) -> str:
    return set_cookie_header("", secure=secure, max_age=0)


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _SESSION_KEY_PURPOSE, hashlib.sha256).digest()


def _signature(secret: str, payload: str) -> str:
    return hmac.new(_key(secret), payload.encode(), hashlib.sha256).hexdigest()
