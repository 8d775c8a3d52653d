"""Every documented figure and pattern, each with its source and rule id.

Sources: ``seed:NNN`` are the four seed pages; ``docs:``/``spec:`` are the official docs pages and
OpenAPI files named in RULES.md. Tests use these names at the boundary: exactly at it, one over.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from typing import Final

# --- Transport (e) ------------------------------------------------------------------------------
REQUEST_BODY_MAX_BYTES: Final = 512 * 1024  # R-088, docs:limits.md — "512 KB"
API_VERSION_PREFIX: Final = "/v2"  # R-072, docs:method-call.md
FORMAT_SUFFIX: Final = ".json"  # R-072, docs:result-format.md
INTEGRATION_NAME_MAX_LENGTH: Final = 100  # R-093, docs:integration-signing.md
# Ours: what the HTTP server accepts before any application sees the request (README and
# docs/decisions.md, "Limits of the HTTP server").
REQUEST_HEAD_MAX_BYTES: Final = 16 * 1024  # the request target and header lines together -> 431
REQUEST_HEADER_FIELDS_MAX: Final = 100  # header lines of one request -> 431
REQUEST_TARGET_MAX_BYTES: Final = 8 * 1024  # the URL of the request line -> 414
BODY_READ_TIMEOUT: Final = timedelta(seconds=10)  # a declared body must arrive in this -> 408

# --- Authentication and access (e) --------------------------------------------------------------
API_KEYS_PER_BUSINESS: Final = 30  # R-076, docs:api-key.md
API_KEY_PREFIX: Final = "ACMA:"  # R-073 sample token, OQ-11
API_KEY_PATTERN: Final = re.compile(r"ACMA:[A-Za-z0-9]{40}:[0-9a-f]{8}")  # OQ-11
API_KEY_LENGTH: Final = len("ACMA:") + 40 + 1 + 8  # OQ-11: 54 characters
API_KEY_SECRET_LENGTH: Final = 40  # OQ-11: the alphanumeric part
API_KEY_CHECK_LENGTH: Final = 8  # OQ-11: the lowercase hex tail
TOKEN_EDITS_TAKE_EFFECT_WITHIN: Final = timedelta(minutes=10)  # R-076, docs:api-key.md
OAUTH_TOKEN_VALIDITY: Final = timedelta(days=365)  # R-076, docs:authorization.md — "1 year"
OAUTH_TOKEN_PREFIX: Final = "y0_"  # noqa: S105 - R-074 sample token (docs:oauth-2.0.md)
OAUTH_TOKEN_LENGTH: Final = 58  # the sample token's length ("y0_" + 55 characters)
INACTIVE_CAMPAIGN_AFTER: Final = timedelta(days=90)  # R-079, docs:error-codes.md

# --- Request limits (e) -------------------------------------------------------------------------
LIMIT_WINDOW: Final = timedelta(hours=1)  # R-083, OQ-15: hourly budgets
PARALLEL_REQUESTS_PER_TOKEN: Final = 2  # R-086, docs:limits.md
PARALLEL_REQUESTS_2026: Final = 6  # C-02, spec x-resource-limit-config parallel-limit-value
# R-084, docs:limits.md: the resource limit's state, on every answer of a limited method.
RATE_LIMIT_LIMIT_HEADER: Final = "X-RateLimit-Resource-Limit"
RATE_LIMIT_UNTIL_HEADER: Final = "X-RateLimit-Resource-Until"
RATE_LIMIT_REMAINING_HEADER: Final = "X-RateLimit-Resource-Remaining"
SEED_HOURLY_LIMIT: Final = 100_000  # R-083 (seed:000-002)
SPEC_2026_HOURLY_LIMIT: Final = 10_000  # C-01, spec x-resource-limit-config (2026-07-17)
SPEC_2026_IDENTIFIERS_STATUS_LIMIT: Final = 1_000  # C-01, R-121
DELIVERY_SERVICES_HOURLY_LIMIT: Final = 5_000  # R-118, both sources
# Methods only the 2026 spec has: its figures in both profiles (x-resource-limit-config).
BUSINESS_ORDERS_HOURLY_LIMIT: Final = 10_000  # spec getBusinessOrders
BUSINESS_ORDERS_PARALLEL: Final = 6  # spec getBusinessOrders parallel-limit-value
ACCEPT_CANCELLATION_HOURLY_LIMIT: Final = 500  # spec acceptOrderCancellation
# Ours: how long a parallel-request slot may be held before another instance may reclaim it (a
# crashed instance must not keep a token's slots forever; no request legitimately runs this long).
PARALLEL_SLOT_LEASE: Final = timedelta(seconds=60)
# Ours: how long a call waits for Redis (--redis-url) before it answers 503: to connect, and for
# each answer on an open connection. A stalled Redis must not hold Partner API calls.
REDIS_CONNECT_TIMEOUT: Final = timedelta(seconds=0.5)
REDIS_ANSWER_TIMEOUT: Final = timedelta(seconds=0.5)

# --- deliverDigitalGoods (a) --------------------------------------------------------------------
DIGITAL_ITEMS_MIN: Final = 1  # R-004, seed:000 "Min items: 1"
DIGITAL_ITEMS_MAX: Final = 100  # R-004, seed:000 "Max items: 100"
DIGITAL_SLIP_MAX_LENGTH: Final = 10_000  # R-005, seed:000 "Max length: 10000"
DIGITAL_CODES_MIN: Final = 1  # R-005, seed:000
DIGITAL_CODES_MAX: Final = 5_000  # R-005, seed:000
DIGITAL_CODE_MAX_LENGTH_2026: Final = 256  # C-04, spec OrderDigitalItemDTO (2026-01-19)
DIGITAL_CODES_WINDOW: Final = timedelta(minutes=30)  # R-009, seed:000, docs:digital.md
DIGITAL_SLIP_TAGS: Final = frozenset(  # R-005, seed:000: headings, br, p, ol, ul, li, div
    {"h", "h1", "h2", "h3", "h4", "h5", "h6", "br", "p", "ol", "ul", "li", "div"}
)
DATE_ISO_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}$"  # activate_till is YYYY-MM-DD

# --- identifiers (c) ----------------------------------------------------------------------------
# R-031, seed:002, quoted literally: \u001D is the GS separator, 9[1,3] is a character class.
# re.ASCII keeps \d to [0-9] as in the Market's Java regexes; apply with fullmatch.
CIS_WITH_CRYPTO_TAIL: Final = re.compile(
    "^(?=.{1,256}$)\u001d?(\\(?01\\)?\\d{14}\\(?21\\)?([!-~]{6,8}|[!-~]{13}|[!-~]{20})"
    "(\u001d\\(?240\\)?.{1,30})?\u001d\\(?9[1,3]\\)?.+)$",
    re.ASCII,
)
CIS_WITHOUT_CRYPTO_TAIL: Final = re.compile(
    "^(?=[!-~]{1,256}$)(\\(?01\\)?\\d{14}\\(?21\\)?(.{6,8}|.{13}|.{20}))$", re.ASCII
)
GS: Final = "\u001d"
UIN_PATTERN: Final = re.compile(r"^\d{16}$", re.ASCII)  # a 16-digit number
RNPT_SHAPE: Final = re.compile(r"^\d+/\d+/\d+/\d+$", re.ASCII)  # R-033, C-09: four numbers
GTD_SHAPE: Final = re.compile(r"^\d+/\d+/\d+$", re.ASCII)  # R-033, C-09: three numbers
RNPT_STRICT: Final = re.compile(
    r"^\d{8}/\d{6}/\d{7}/\d{3}$", re.ASCII
)  # C-09 strict widths 8/6/7/3
GTD_STRICT: Final = re.compile(r"^\d{8}/\d{6}/\d{7}$", re.ASCII)  # C-09 strict widths 8/6/7
COUNTRY_CODE_PATTERN: Final = r"^[A-Z]{2}$"  # R-033, spec CountryCode.yaml
OFFER_ID_PATTERN: Final = r"^(?=.*\S.*)[^\x00-\x08\x0A-\x1f\x7f]{1,255}$"

# --- Order methods and test orders (f), (g), (i) ------------------------------------------------
TEST_ORDER_RETENTION: Final = timedelta(days=10)  # R-111, docs:sandbox.md
QUERY_LOG_RETENTION: Final = timedelta(days=10)  # request logs of test orders
QUERY_LOG_BODY_MAX_BYTES: Final = 64 * 1024  # ours: bodies kept per entry (the rest is cut off)
QUERY_LOG_PAGE_LIMIT_DEFAULT: Final = 50  # ours: GET /sandbox/requests page size
QUERY_LOG_PAGE_LIMIT_MAX: Final = 500  # ours
# ours: a client's X-Request-Id is reused (500 body, header, log) only when it matches this;
# otherwise the server makes its own
REQUEST_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_.:-]{1,128}", re.ASCII)
GET_ORDERS_PAGE_LIMIT_MAX: Final = 50  # R-120, C-21
GET_ORDERS_PAGE_MAX: Final = 10_000  # legacy page
GET_ORDERS_ORDER_IDS_MAX: Final = 50
# R-120; getBusinessOrders' dates too (spec OrderDatesFilterDTO)
GET_ORDERS_PERIOD_MAX: Final = timedelta(days=30)
BUYER_CANCELLATION_WINDOW: Final = timedelta(hours=48)
RESERVATION_TIMEOUT: Final = timedelta(minutes=10)
PREPAID_PAYMENT_TIMEOUT: Final = timedelta(minutes=30)
USER_UNREACHABLE_CALLS_MIN: Final = 3
USER_UNREACHABLE_SPAN_MIN: Final = timedelta(minutes=90)
USER_UNREACHABLE_CALL_MIN: Final = timedelta(seconds=5)  # each connection
USER_UNREACHABLE_HOURS: Final = (8, 21)  # calls count between 08:00 and 21:00 buyer time
CLOSED_ORDERS_VISIBLE_FOR: Final = timedelta(days=30)  # delivered/cancelled drop out
SANDBOX_ORDER_ITEMS_MAX: Final = 100  # ours: items in one sandbox test order
# ours: units of one item in a test order; a DIGITAL item takes a key per unit (OQ-02), so a line
# must reach R-005's 5,000 keys of one item.
SANDBOX_ORDER_ITEM_COUNT_MAX: Final = DIGITAL_CODES_MAX
SANDBOX_ORDER_PRICE_MAX: Final = 100_000_000  # ours: roubles per unit or for delivery
GET_ORDERS_DATE_FORMAT: Final = "DD-MM-YYYY"
ISO_DATE_FORMAT: Final = "YYYY-MM-DD"  # spec OrderDatesFilterDTO (getBusinessOrders)
BUSINESS_ORDERS_IDS_MAX: Final = 50  # spec GetBusinessOrdersRequest: orderIds, externalOrderIds
BUSINESS_ORDERS_CAMPAIGNS_MAX: Final = 50  # spec GetBusinessOrdersRequest: campaignIds
# spec DigitalGoodsDeliveryType: a STEAM_GIFT order is to be marked delivered within 3 hours
STEAM_GIFT_MARK_WITHIN: Final = timedelta(hours=3)
# Order times in OrderDTO (DD-MM-YYYY HH:mm:ss) carry no offset; the Market writes Moscow time.
MARKET_TIMEZONE: Final = timezone(timedelta(hours=3), "MSK")

# --- Notifications (h) --------------------------------------------------------------------------
NOTIFICATION_TIMEOUT: Final = timedelta(seconds=10)
PING_TIMEOUT_2026: Final = timedelta(seconds=1)  # C-13
NOTIFICATION_RETRY_SCHEDULE: Final = (  # (until this age, retry every)
    (timedelta(hours=1), timedelta(minutes=1)),
    (timedelta(days=1), timedelta(minutes=15)),
    (timedelta(days=14), timedelta(hours=1)),
)
NOTIFICATION_GIVE_UP_AFTER: Final = timedelta(days=14)
NOTIFICATION_NAME_MAX_LENGTH: Final = 100

# --- POST /cart (d) -----------------------------------------------------------------------------
CART_DEADLINE: Final = timedelta(seconds=5.5)  # R-037, seed:003
CART_CONNECT_TIMEOUT: Final = timedelta(seconds=1)  # R-037, notes:pushapi-identification.md
CART_OPTION_ID_MAX_LENGTH: Final = 50
CART_SERVICE_NAME_MAX_LENGTH: Final = 50
CART_INTERVALS_MAX: Final = 7  # R-061, C-14
CART_DATE_FORMAT: Final = "%d-%m-%Y"  # DD-MM-YYYY
CART_TIME_PATTERN: Final = r"^(?:[01]\d|2[0-3]):00$|^23:59$"
CART_FROM_TIME_MAX: Final = "21:00"
CART_TO_TIME_MAX: Final = "23:59"
CART_OFFER_ID_MAX_LENGTH: Final = 255  # offerId / shopSku "Max length: 255"
CART_COUNT_MAX: Final = 2**31 - 1  # items[].count is int32
CART_LONG_DELIVERY_DAYS_MAX: Final = 60  # made-to-order goods, 31-60 days
