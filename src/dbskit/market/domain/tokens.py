"""Issuing and fingerprinting Api-Key and OAuth tokens.

Tokens look like the documented samples (OQ-11, R-074). Only a SHA-256 fingerprint is stored: the
tokens carry 238 bits (Api-Key) or more (OAuth) of randomness, so a plain hash without salt or
stretching cannot be reversed, and it lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
import string

from dbskit.contract import limits

_ALPHANUMERIC = string.ascii_letters + string.digits
_OAUTH_ALPHABET = _ALPHANUMERIC + "-_"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_api_key() -> str:
    """``ACMA:`` + 40 alphanumerics + ``:`` + 8 lowercase hex (OQ-11)."""
    secret = _random(_ALPHANUMERIC, limits.API_KEY_SECRET_LENGTH)
    check = secrets.token_hex(limits.API_KEY_CHECK_LENGTH // 2)
    return f"{limits.API_KEY_PREFIX}{secret}:{check}"


def new_oauth_token() -> str:
    """Shaped like the documented sample ``y0_…`` (R-074)."""
    body_length = limits.OAUTH_TOKEN_LENGTH - len(limits.OAUTH_TOKEN_PREFIX)
    return limits.OAUTH_TOKEN_PREFIX + _random(_OAUTH_ALPHABET, body_length)


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
