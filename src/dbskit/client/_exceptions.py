"""What a call may raise. One class per kind of failure::

    MarketError
     ├── MarketApiError            the Market answered an error (status, errors[], headers)
     │    ├── BadRequestError          400
     │    ├── AuthenticationError      401
     │    ├── PermissionDeniedError    403
     │    ├── NotFoundError            404
     │    ├── RateLimitedError         420 (``hourly`` tells the budget from the parallel cap)
     │    └── ServerError              5xx
     ├── TransportError            no answer: connection refused or dropped, timeout
     └── UnexpectedAnswerError     a 2xx whose body is not the documented answer

Other statuses (405, 410, 415, 423, ...) are a plain ``MarketApiError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from dbskit.contract.errors import ErrorDetail


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """The ``X-RateLimit-Resource-*`` headers of an answer (R-084), as far as it carried them."""

    limit: int | None
    remaining: int | None
    until: datetime | None


class MarketError(Exception):
    """Base of every error the client raises."""

    def __init__(self, message: str, *, operation_id: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.operation_id = operation_id
        self.request_id = request_id  # the answer's X-Request-Id, else the one the client sent


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """An error answer as it came: what every ``MarketApiError`` carries."""

    operation_id: str
    status_code: int
    errors: tuple[ErrorDetail, ...]  # every errors[] entry, code and message as written
    body: str
    request_id: str | None
    rate_limit: RateLimitState
    headers: Mapping[str, str]


class MarketApiError(MarketError):
    """An error answer: the HTTP status, every ``errors[]`` entry as the Market wrote it, the
    request id and the rate-limit headers."""

    def __init__(self, answer: ErrorAnswer) -> None:
        described = "; ".join(f"{e.code}: {e.message}" for e in answer.errors) or answer.body
        super().__init__(
            f"{answer.operation_id}: {answer.status_code} {described}",
            operation_id=answer.operation_id,
            request_id=answer.request_id,
        )
        self.answer = answer
        self.status_code = answer.status_code
        self.errors = answer.errors
        self.body = answer.body
        self.rate_limit = answer.rate_limit
        self.headers = answer.headers


class BadRequestError(MarketApiError):
    """400: the request breaks a rule; ``errors`` names each field."""


class AuthenticationError(MarketApiError):
    """401: the Api-Key or OAuth token is missing, malformed, unknown or revoked (R-073..R-075)."""


class PermissionDeniedError(MarketApiError):
    """403: a scope is missing, the campaign is another cabinet's or inactive (R-077..R-079)."""


class NotFoundError(MarketApiError):
    """404: the campaign, business or order does not exist (or is not this campaign's)."""


class RateLimitedError(MarketApiError):
    """420: the hourly budget is spent (``hourly``, usable again at ``reset_at``) or too many
    calls of the token are in flight (R-085, R-086)."""

    def __init__(self, answer: ErrorAnswer, *, hourly: bool, reset_at: datetime | None) -> None:
        super().__init__(answer)
        self.hourly = hourly
        self.reset_at = reset_at


class ServerError(MarketApiError):
    """5xx: the Market failed; retried only for calls safe to repeat (docs/decisions.md)."""


class TransportError(MarketError):
    """No answer: the connection was refused, dropped or timed out."""


class UnexpectedAnswerError(MarketError):
    """A success whose body does not parse as the documented answer."""

    def __init__(self, message: str, *, operation_id: str, status_code: int, body: str) -> None:
        super().__init__(message, operation_id=operation_id)
        self.status_code = status_code
        self.body = body
