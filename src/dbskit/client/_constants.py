"""The client's figures and names, each with its source."""

from __future__ import annotations

from typing import Final

from dbskit.contract import limits

# The Partner API's production host (docs:method-call.md); the emulator serves the same paths.
DEFAULT_BASE_URL: Final = "https://api.partner.market.yandex.ru"

DEFAULT_TIMEOUT_SECONDS: Final = 30.0
# Attempts after the first for a 5xx, a dropped connection or a parallel 420 (ours).
DEFAULT_MAX_RETRIES: Final = 3
# The longest an hourly 420 is waited out before the call is retried; longer waits raise at once.
DEFAULT_MAX_WAIT_SECONDS: Final = 60.0
# Calls in flight per token: the documented parallel limit (R-086, C-02: 2 on the docs' page;
# the 2026 spec allows 6 on some methods, which a caller may opt into).
DEFAULT_MAX_CONCURRENCY: Final = limits.PARALLEL_REQUESTS_PER_TOKEN
# getOrders' page when paging by token: the most one answer holds (R-120, C-21).
ORDERS_PAGE: Final = limits.GET_ORDERS_PAGE_LIMIT_MAX

# Exponential backoff of 5xx and dropped connections: 0.5 s, 1 s, 2 s, ... capped (ours).
BACKOFF_INITIAL_SECONDS: Final = 0.5
BACKOFF_MAX_SECONDS: Final = 8.0
# A parallel 420 frees up as soon as one of the token's calls ends: shorter steps (ours).
PARALLEL_BACKOFF_INITIAL_SECONDS: Final = 0.1
PARALLEL_BACKOFF_MAX_SECONDS: Final = 2.0

API_KEY_HEADER: Final = "Api-Key"  # R-073, docs:api-key.md
AUTHORIZATION_HEADER: Final = "Authorization"  # R-074, docs:oauth-2.0.md
REQUEST_ID_HEADER: Final = "X-Request-Id"
LIMIT_HEADER: Final = limits.RATE_LIMIT_LIMIT_HEADER
UNTIL_HEADER: Final = limits.RATE_LIMIT_UNTIL_HEADER
REMAINING_HEADER: Final = limits.RATE_LIMIT_REMAINING_HEADER
DATE_HEADER: Final = "Date"

# R-086, docs:error-codes.md: "Hit rate limit of 'N' parallel requests".
PARALLEL_LIMIT_MARKER: Final = "parallel requests"
# OQ-01: a repeated deliverDigitalGoods on a DELIVERED order is this 400.
ORDER_IN_TERMINAL_STATE: Final = "ORDER_IN_TERMINAL_STATE"
DELIVERED: Final = "DELIVERED"
