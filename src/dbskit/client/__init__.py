"""A typed client of the Yandex.Market Partner API (DBS order methods), sync and async.

The arguments and answers are the contract's models (``dbskit.contract``), the documents the
emulator itself reads and writes: the same code runs against ``dbskit serve`` in tests and
against the Market (``DEFAULT_BASE_URL``) in production.
"""

from __future__ import annotations

from dbskit.client._async import AsyncMarketClient
from dbskit.client._calls import (
    cancellation_request,
    digital_codes_request,
    identifiers_request,
    orders_query,
    status_request,
)
from dbskit.client._constants import DEFAULT_BASE_URL, DEFAULT_MAX_CONCURRENCY
from dbskit.client._exceptions import (
    AuthenticationError,
    BadRequestError,
    ErrorAnswer,
    MarketApiError,
    MarketError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RateLimitState,
    ServerError,
    TransportError,
    UnexpectedAnswerError,
)
from dbskit.client._lax import is_known
from dbskit.client._retry import REPEATABLE, Action, Reason, RetryEvent, RetryPolicy
from dbskit.client._sync import MarketClient

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONCURRENCY",
    "REPEATABLE",
    "Action",
    "AsyncMarketClient",
    "AuthenticationError",
    "BadRequestError",
    "ErrorAnswer",
    "MarketApiError",
    "MarketClient",
    "MarketError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitState",
    "RateLimitedError",
    "Reason",
    "RetryEvent",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "UnexpectedAnswerError",
    "cancellation_request",
    "digital_codes_request",
    "identifiers_request",
    "is_known",
    "orders_query",
    "status_request",
]
