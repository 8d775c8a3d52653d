"""R-039: the Market's push token, checked before anything else; 403 when missing or wrong."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Protocol

from dbskit.contract.errors import Forbidden, Messages
from dbskit.contract.sandbox_access import PushAuthMode

TOKEN_PARAMETER = "auth-token"  # noqa: S105 - a parameter name
TOKEN_HEADER = "authorization"  # noqa: S105 - a header name


class MultiValues(Protocol):
    """Headers or query parameters: every value sent under a name (Starlette's ``getlist``)."""

    def getlist(self, key: str) -> list[str]: ...


def check_push_token(
    mode: PushAuthMode,
    expected: str | None,
    *,
    headers: MultiValues,
    query: Callable[[], MultiValues],
) -> None:
    """``query`` gives the query parameters; it is called only in URL mode (parsing costs).

    A blank configured token is no token; the token must come exactly once (sent twice, which
    one counts would be a guess), and an empty value never matches.
    """
    if expected is None or not expected.strip():
        raise Forbidden(Messages.PUSH_TOKEN_UNSET)
    if mode is PushAuthMode.URL:
        presented, message = query().getlist(TOKEN_PARAMETER), Messages.PUSH_TOKEN_URL
    else:
        # A bare token, no scheme word (notes:pushapi-identification.md).
        presented, message = headers.getlist(TOKEN_HEADER), Messages.PUSH_TOKEN_HEADER
    if len(presented) != 1 or not hmac.compare_digest(presented[0].encode(), expected.encode()):
        raise Forbidden(message)
