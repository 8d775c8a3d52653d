"""R-039: the Market's push token, checked before anything else; 403 when missing or wrong."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping

from dbskit.contract.errors import Forbidden, Messages
from dbskit.contract.sandbox_access import PushAuthMode

TOKEN_PARAMETER = "auth-token"  # noqa: S105 - a parameter name
TOKEN_HEADER = "authorization"  # noqa: S105 - a header name


def check_push_token(
    mode: PushAuthMode,
    expected: str | None,
    *,
    headers: Mapping[str, str],
    query: Callable[[], Mapping[str, str]],
) -> None:
    """``query`` gives the query parameters; it is called only in URL mode (parsing costs)."""
    if expected is None:
        raise Forbidden(Messages.PUSH_TOKEN_UNSET)
    if mode is PushAuthMode.URL:
        presented, message = query().get(TOKEN_PARAMETER), Messages.PUSH_TOKEN_URL
    else:
        # A bare token, no scheme word (notes:pushapi-identification.md).
        presented, message = headers.get(TOKEN_HEADER), Messages.PUSH_TOKEN_HEADER
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise Forbidden(message)
