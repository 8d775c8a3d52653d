"""Signing in with the Sandbox-Token, and out.

The token travels once, in the body of the sign-in form (a password field), and is exchanged
for the session cookie; it is never written into a page, an address or a cookie. The form has
a CSRF token of its own, bound to a nonce cookie, since there is no session yet.
"""

from __future__ import annotations

import hmac
from typing import Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dbskit.cabinet._auth import (
    CSRF_FIELD,
    PREFIX,
    CsrfRefused,
    NotSignedIn,
    is_https,
    posted_form,
    runtime_of,
    sandbox_secret,
    signed_in,
    wall_seconds,
)
from dbskit.cabinet._fields import Fields, NotAForm
from dbskit.cabinet._render import page
from dbskit.cabinet._views import NOTICE_PARAMETER, NOTICES, done
from dbskit.market.sandbox.browser_sessions import (
    ENDED,
    clear_cookie_header,
    new_nonce,
    open_session,
    set_cookie_header,
    sign_in_csrf_token,
)

SIGN_IN_PATH: Final = PREFIX + "/sign-in"
HOME_PATH: Final = PREFIX + "/orders"
NONCE_COOKIE: Final = "dbskit_cabinet_sign_in"
NONCE_SECONDS: Final = 3600  # ours: an hour to type the token in
TOKEN_FIELD: Final = "token"  # noqa: S105 - a field name
WRONG_TOKEN: Final = "That is not the sandbox token."  # noqa: S105 - a message
NO_TOKEN: Final = "This server has no sandbox token: the cabinet cannot open."  # noqa: S105


def _sign_in_page(request: Request, *, problem: str | None, status_code: int) -> Response:
    secret = sandbox_secret(runtime_of(request))
    nonce = new_nonce()
    response = page(
        "sign_in.html",
        {
            "signed_in": False,
            "section": "",
            "csrf_token": "",
            "now": None,
            "notice": NOTICES.get(request.query_params.get(NOTICE_PARAMETER, "")),
            "problem": problem,
            "sign_in_csrf": sign_in_csrf_token(secret, nonce),
        },
        status_code=status_code,
    )
    response.headers.append("Set-Cookie", _nonce_cookie(nonce, secure=is_https(request)))
    return response


def _nonce_cookie(nonce: str, *, secure: bool, max_age: int = NONCE_SECONDS) -> str:
    """The sign-in form's own cookie: only the sign-in path ever receives it."""
    parts = [
        f"{NONCE_COOKIE}={nonce}",
        f"Path={SIGN_IN_PATH}",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Strict",
    ]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


async def show_sign_in(request: Request) -> Response:
    try:
        signed_in(request)
    except NotSignedIn:
        problem = None if sandbox_secret(runtime_of(request)).strip() else NO_TOKEN
        return _sign_in_page(request, problem=problem, status_code=200)
    return RedirectResponse(HOME_PATH, status_code=303)


async def sign_in(request: Request) -> Response:
    secret = sandbox_secret(runtime_of(request))
    try:
        fields = await Fields.of_form(request)
    except NotAForm:
        raise CsrfRefused from None  # no form, so no token either
    nonce = request.cookies.get(NONCE_COOKIE, "")
    given_csrf = fields.all(CSRF_FIELD)
    if (
        not nonce
        or len(given_csrf) != 1
        or not _same(given_csrf[0], sign_in_csrf_token(secret, nonce))
    ):
        raise CsrfRefused
    if not secret.strip():
        return _sign_in_page(request, problem=NO_TOKEN, status_code=401)
    token = fields.all(TOKEN_FIELD)
    if len(token) != 1 or not _same(token[0], secret):
        return _sign_in_page(request, problem=WRONG_TOKEN, status_code=401)
    _session, value = open_session(secret, now=wall_seconds())
    response = RedirectResponse(HOME_PATH, status_code=303)
    secure = is_https(request)
    response.headers.append("Set-Cookie", set_cookie_header(value, secure=secure))
    response.headers.append("Set-Cookie", _nonce_cookie("", secure=secure, max_age=0))
    return response


def _same(given: str, expected: str) -> bool:
    """Compared in constant time (the answer's timing tells nothing of the secret)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


async def sign_out(request: Request) -> Response:
    visit, _fields = await posted_form(request)
    ENDED.end(visit.session, now=wall_seconds())
    response = done(SIGN_IN_PATH, "signed-out")
    response.headers.append("Set-Cookie", clear_cookie_header(secure=is_https(request)))
    return response


routes = [
    Route("/sign-in", show_sign_in, methods=["GET"]),
    Route("/sign-in", sign_in, methods=["POST"]),
    Route("/sign-out", sign_out, methods=["POST"]),
]
