"""The Partner API error envelope, its codes, and the errors that carry them.

R-071: every error answer is ``{"status": "ERROR", "errors": [{"code", "message"}]}``.
OQ-14: the ``code`` string for each HTTP status (only ``UNAUTHORIZED`` is documented).
R-080/R-082: the HTTP statuses and their fixed message texts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from pydantic_core import to_json


class ErrorCode(StrEnum):
    """``errors[].code`` values (OQ-14 for the generic ones, ApiErrorCodeType for the rest)."""

    BAD_REQUEST = "BAD_REQUEST"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    # The HTTP server's own limits (ours; the status's phrase, as OQ-14 does for the rest).
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    URI_TOO_LONG = "URI_TOO_LONG"
    REQUEST_HEADER_FIELDS_TOO_LARGE = "REQUEST_HEADER_FIELDS_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    METHOD_FAILURE = "METHOD_FAILURE"
    LOCKED = "LOCKED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    # A deprecated method past its degradation date (OQ-29; the status's phrase, as OQ-14).
    GONE = "GONE"
    # The store's own answers (OQ-18).
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    STORE_DATA_INVALID = "STORE_DATA_INVALID"
    # Checkout through the store (ours): the store's answer leaves nothing to order.
    BASKET_UNAVAILABLE = "BASKET_UNAVAILABLE"
    # Specific 400 codes used by the order methods (spec ApiErrorCodeType, OQ-01..OQ-08, OQ-23).
    ITEM_NOT_FOUND = "ITEM_NOT_FOUND"
    INVALID_ORDER_STATUS = "INVALID_ORDER_STATUS"
    ORDER_IN_TERMINAL_STATE = "ORDER_IN_TERMINAL_STATE"
    STATUS_NOT_ALLOWED = "STATUS_NOT_ALLOWED"
    SUBSTATUS_NOT_ALLOWED = "SUBSTATUS_NOT_ALLOWED"
    USER_UNREACHABLE_NOT_ALLOWED = "USER_UNREACHABLE_NOT_ALLOWED"
    TRACK_CODE_ALREADY_USED = "TRACK_CODE_ALREADY_USED"
    TOO_MANY_CISES_FOR_ITEM = "TOO_MANY_CISES_FOR_ITEM"
    TOO_FEW_CISES_FOR_ITEM = "TOO_FEW_CISES_FOR_ITEM"
    INVALID_CIS = "INVALID_CIS"
    DUPLICATE_CIS = "DUPLICATE_CIS"
    TOO_MANY_UINS_FOR_ITEM = "TOO_MANY_UINS_FOR_ITEM"
    TOO_FEW_UINS_FOR_ITEM = "TOO_FEW_UINS_FOR_ITEM"
    INVALID_UIN = "INVALID_UIN"
    DUPLICATE_UIN = "DUPLICATE_UIN"
    INVALID_RNPT = "INVALID_RNPT"
    INVALID_GTD = "INVALID_GTD"
    INVALID_COUNTRY_CODE = "INVALID_COUNTRY_CODE"
    COUNTRY_CODE_AND_GTD_ARE_REQUIRED_VALIDATION_ERROR = (
        "COUNTRY_CODE_AND_GTD_ARE_REQUIRED_VALIDATION_ERROR"
    )


# R-080 reason phrases; 420 is "Enhance Your Calm" (C-11), which http.HTTPStatus does not know.
REASON_PHRASES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    410: "Gone",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    420: "Enhance Your Calm",
    423: "Locked",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class Messages:
    """Fixed message texts of the error-codes page (R-081, R-082) and our own where it is silent."""

    REQUEST_TOO_BIG = "The request is too big: the body is over {limit} bytes"
    # The HTTP server's limits (ours; docs/decisions.md "Limits of the HTTP server").
    BODY_TIMEOUT = "The request body did not arrive within {seconds:g} s"
    TARGET_TOO_LONG = "The request target is over {limit} bytes"
    HEAD_TOO_LARGE = "The request line and headers are over {limit} bytes"
    TOO_MANY_HEADERS = "The request has more than {limit} header fields"
    NOT_HTTP = "The request is not valid HTTP/1.1: {reason}"
    NUL_CHARACTER = "Value of field {field} must not contain the NUL character"  # ours
    JSON = "JSON: {detail}"
    UNEXPECTED_CHARACTER = (  # the body must be UTF-8
        "Unexpected character '{character}': expected a valid value 'UTF-8'"
    )
    MISSING_FIELD = "Missing field {field}"
    UNEXPECTED_END = "Unexpected end of content"  # an empty body where one is needed
    METHOD_NOT_SUPPORTED = "Request method '{method}' not supported"
    CONTENT_TYPE_NOT_SUPPORTED = "Content type '{content_type}' not supported"
    MISSING_CONTENT_TYPE = "Missing Content-Type"  # R-082, C-20
    UNKNOWN_CONTENT_TYPE = "Unknown content-type: '{content_type}'"
    RESOURCE_LIMIT = (  # R-085, docs:limits.md
        "Hit rate limit of {limit} requests per {period} for resource {resource}"
    )
    PARALLEL_LIMIT = "Hit rate limit of {limit} parallel requests"  # R-086, docs:limits.md
    SERVICE_UNAVAILABLE = "Service temporarily unavailable. Please, try again later"
    RESOURCE_NOT_FOUND = "Resource not found: '{path}'"  # ours: the page gives no text
    INTERNAL = "Internal error; request id {request_id}"  # ours: 500 has no fixed text
    # A deprecated method (OQ-29; the spec's x-deprecation-config gives the dates, no texts).
    METHOD_DEGRADED = (
        "Method {operation_id} is deprecated: since {degradation_start} some of its calls fail, "
        "and from {shutdown} every call will; use {replacement} instead"
    )
    METHOD_SHUT_DOWN = (
        "Method {operation_id} was shut down on {shutdown}; use {replacement} instead"
    )
    BAD_PAGE_POSITION = (  # ours: GET /sandbox/requests
        "Value of field pageToken ('{value}') is not a token from a previous page"
    )
    SANDBOX_TOKEN = "Sandbox-Token header is missing or wrong"  # noqa: S105 - ours
    # ours: Api-Key, Authorization, Sandbox-Token sent twice; which one counts is not guessed
    CREDENTIAL_HEADER_REPEATED = "{header} header is sent more than once"
    # Authentication (R-073..R-075, OQ-11, C-24): 401 unless marked 403.
    CREDENTIALS_NOT_SPECIFIED = "Credentials are not specified"
    API_KEY_INVALID = "Api-Key token is invalid"
    API_KEY_REVOKED = "Api-Key token is revoked"
    API_KEY_FORMAT = "Api-Key token format invalid"
    API_KEY_LENGTH = "Api-Key token length invalid"
    API_KEY_PREFIX = "Api-Key token prefix invalid"
    AUTHORIZATION_SYNTAX = "Authorization header has invalid syntax"
    AUTHORIZATION_TYPE = "Unsupported authorization type specified in Authorization header"
    OAUTH_CREDENTIALS_NOT_SPECIFIED = "OAuth credentials are not specified"
    OAUTH_TOKEN_NOT_SPECIFIED = "OAuth token is not specified"  # noqa: S105 - R-074
    OAUTH_TOKEN_INVALID = "OAuth token is invalid"  # noqa: S105 - R-074, C-24: 403
    # Access (R-077, R-078, OQ-13).
    NO_SCOPE = "Token does not have any of the scopes to access the API method"
    ACCESS_DENIED = "Access denied"
    CAMPAIGN_NOT_FOUND = "Campaign not found: '{campaign_id}'"
    CAMPAIGN_NOT_ACTIVE = (
        "Access denied for campaign '{campaign_id}' because it is not active"
    )
    BUSINESS_NOT_ACTIVE = (
        "Restrict access for business '{business_id}' because it is not active"
    )
    # The sandbox control plane (ours).
    BUSINESS_NOT_FOUND = "Business not found: '{business_id}'"
    CAMPAIGN_NOT_OF_BUSINESS = (  # OQ-27
        "Access denied to campaign '{campaign_id}' ({field}): it is not a campaign of business "
        "'{business_id}'"
    )
    TOKEN_NOT_FOUND = "Token not found"  # noqa: S105 - a message
    TOO_MANY_API_KEYS = (
        "Business {business_id} already has {limit} API keys, the most a cabinet may hold: "
        "revoke one before creating another"
    )
    # The store service (OQ-18 bodies; the texts are ours).
    PUSH_TOKEN_HEADER = "Authorization header is missing or does not carry the push token"  # noqa: S105
    PUSH_TOKEN_URL = "auth-token parameter is missing or is not the push token"  # noqa: S105
    PUSH_TOKEN_UNSET = "no push token is configured: every call is refused"  # noqa: S105
    CART_LATE = "the answer could not be computed in time and none was computed before"
    STORE_DATA_INVALID = (
        "the store data were not reloaded; the previous data stay in use: {problems}"
    )
    STORE_INTERNAL = "internal error of the store; request id {request_id}"
    # Checkout through the store (ours; OQ-16: a failed POST /cart leaves no order).
    NO_PUSH_URL = (
        "Campaign {campaign_id} has no pushUrl: the Market has no store to send POST /cart to"
    )
    PUSH_FAILED = "{type} / {subtype}: POST {url}: {detail}"
    BASKET_OFFER_UNKNOWN = (
        "Missing field items[{index}].{field}: offer '{offer_id}' is not in the catalogue of "
        "the store this server runs"
    )
    BASKET_OFFER_IN_FEEDS = (
        "Missing field items[{index}].feedId: offer '{offer_id}' is in several feeds of the "
        "store this server runs"
    )
    PUSH_DEADLINE = "no answer within {deadline:g} s (R-037)"
    PUSH_STATUS = "the store answered {status} instead of 200"
    PUSH_MEDIA_TYPE = "the answer's Content-Type is {content_type}, not application/json"
    PUSH_NOT_JSON = "the answer is not a JSON document in UTF-8"
    PUSH_FINDING = "{rule} {path}: {message}"
    NOTHING_ON_SALE = (
        "The store answered count 0 for every line (R-050): nothing in the basket can be ordered"
    )
    NO_OPTIONS = "The store offers no delivery option for region {region_id} (R-049)"
    NO_OPTION_OF_TYPE = (
        "The store offers no {type} option for region {region_id}; it offers {offered}"
    )
    NOTHING_TRAVELS = (
        "No line the store has in stock can travel by its {type} option (delivery: false, R-048)"
    )
    NO_PAYMENT_METHOD = (
        "The store's {type} option allows no payment method an order can carry (OQ-20): {methods}"
    )
    # Orders (our wording where the docs give none: OQ-01, OQ-13, OQ-23, R-081, R-100, R-103).
    ORDER_NOT_FOUND = "Order not found: '{order_id}'"  # OQ-13
    STATUS_NOT_ALLOWED = "Status {target} is not allowed for order {order_id} in {current}"
    SUBSTATUS_NOT_ALLOWED = (
        "Substatus {substatus} is not allowed with status {status} for order {order_id} in "
        "{current}"
    )
    USER_UNREACHABLE_NOT_ALLOWED = (
        "Cancelling with USER_UNREACHABLE needs at least 3 calls of 5 seconds or more between "
        "08:00 and 21:00 buyer time, at least 90 minutes between the first and the last"
    )
    INVALID_STATUS = "Invalid status: '{status}'"
    REAL_DELIVERY_DATE_STATUS = (
        "Field order.delivery.dates.realDeliveryDate is allowed only with status PICKUP or "
        "DELIVERED"
    )
    REAL_DELIVERY_DATE_FUTURE = (
        "Value of field order.delivery.dates.realDeliveryDate ({value}) must not be in the future"
    )
    REAL_DELIVERY_DATE_BEFORE_ORDER = (
        "Value of field order.delivery.dates.realDeliveryDate ({value}) must not be before the "
        "order's creation date ({created})"
    )
    LIMIT_EXCEEDED = "Limit exceeded"  # R-081, C-21
    TOO_LONG_PERIOD = "Too long time period. Maximum is '{days}' days"
    BAD_DATE = "Value of field {field} must be a date in the format {pattern}: '{value}'"
    BAD_DATE_TIME = "Value of field {field} must be an ISO 8601 date-time with an offset: '{value}'"
    BETWEEN = (  # R-081; ours for a date outside the range the emulator's clock can hold
        "Value / length of field {field} ({value}) must be between {minimum} and {maximum}"
    )
    BAD_PAGE_TOKEN = "Value of field page_token is invalid: '{value}'"  # noqa: S105 - not a secret

    # Order methods: the sources give codes but no texts (OQ-01..OQ-08); ours name field and value.
    ITEM_NOT_FOUND = (
        "Item not found: '{item_id}' (field {field}) is not an item of order {order_id}"
    )
    INVALID_ORDER_STATUS = (
        "Order {order_id} is in status {status}; this method is allowed only in {allowed}"
    )
    ORDER_IN_TERMINAL_STATE = "Order is in terminal state: order {order_id} is {status}"  # OQ-01
    DUPLICATE_ITEM_ID = (
        "Value of field {field} ({item_id}) repeats {first}: send one element per item id"
    )

    # deliverDigitalGoods (R-004..R-009, C-03..C-06, OQ-01..OQ-04).
    CODE_WITH_CODES = "Fields {field}.code and {field}.codes must not be used together"
    DUPLICATE_KEY = "Value of field {field} ('{value}') must be unique: it repeats {first}"
    NOT_DIGITAL = (
        "Order {order_id} has delivery type {delivery_type}; keys are accepted only for DIGITAL "
        "orders"
    )
    # acceptOrderCancellation (R-102, OQ-28)
    CANCELLATION_REASON_MISSING = (
        "Missing field reason: a rejected cancellation needs one of {reasons}"
    )
    CANCELLATION_NOT_ANSWERABLE = (
        "Order {order_id} is in status {status}: a buyer's cancellation is answered only in "
        "DELIVERY or PICKUP"
    )
    NO_CANCELLATION_REQUEST = "Order {order_id} has no cancellation request to answer"
    STEAM_GIFT_NOT_MARKED = (  # OQ-26: a warning of the sandbox order view
        "Steam gift order {order_id} was not marked DELIVERED by {mark_by}: the Market expects "
        "it within 3 hours of the order entering PROCESSING"
    )
    KEYS_NOT_TAKEN = (  # OQ-26
        "Order {order_id} is a {type} digital order: the seller delivers it and marks it "
        "DELIVERED through PUT status; keys are accepted only for EMAIL and ACTIVATION_CODE orders"
    )
    KEY_COUNT = "Item {item_id} of order {order_id} needs {expected} keys, {given} given"  # OQ-02
    KEY_COUNT_AT_LEAST = (  # OQ-02 with lenient key counts
        "Item {item_id} of order {order_id} needs at least {expected} keys, {given} given"
    )
    KEYS_ALREADY_EMAILED = (
        "The keys of order {order_id} were already e-mailed to the buyer and cannot be replaced"
    )
    KEYS_TOO_LATE = (  # OQ-04 with cancel_late_digital
        "Order {order_id} was cancelled (SHOP_FAILED): the keys came {late} after the "
        "{window}-minute window that opened when the order entered PROCESSING"
    )

    # delivery/track (R-018, R-019, OQ-06).
    UNKNOWN_DELIVERY_SERVICE = (
        "Value of field deliveryServiceId ({value}) is not a delivery service listed by "
        "GET v2/delivery/services"
    )
    TRACK_CODE_ALREADY_USED = (
        "Track code '{track_code}' is already used by another order of campaign {campaign_id}"
    )

    # identifiers (R-028..R-033, C-09, C-10, OQ-07, OQ-08, R-025).
    INVALID_CIS = (
        "Value of field {field} must match the pattern: '{with_tail}' or, without the "
        "crypto-tail, '{without_tail}'"
    )
    INVALID_UIN = "Value of field {field} ('{value}') must be a 16-digit number"
    INVALID_RNPT = "Value of field {field} ('{value}') must be four numbers separated by '/'"
    INVALID_GTD = "Value of field {field} ('{value}') must be three numbers separated by '/'"
    INVALID_PATTERN = "Value of field {field} ('{value}') must match the pattern: '{pattern}'"
    INVALID_COUNTRY_CODE = (  # the documented text
        "String ({value}) is not a valid country code according to ISO 3166-1 alpha-2"
    )
    COUNTRY_CODE_REQUIRED = "Missing field {field}.countryCode: it is required with gtd"  # C-10
    ONE_IDENTIFIER = "Exactly one of fields cis, uin, rnpt, gtd must be set in {field}"  # C-10
    COUNTRY_CODE_NOT_ALLOWED = (  # C-10
        "Field {field}.countryCode may accompany only gtd or rnpt"
    )
    TOO_FEW_CODES = "Item {item_id} needs {expected} {kind} codes, one per unit; {given} given"
    TOO_MANY_CODES = TOO_FEW_CODES
    DUPLICATE_CODE = "Value of field {field} repeats a {kind} code already given for item {item_id}"
    MARKING_INCOMPLETE = (
        "Order {order_id} cannot move to {target}: item {item_id} has {given} of {expected} "
        "{kind} codes; send them with PUT identifiers"
    )


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def error_envelope(errors: Iterable[ErrorDetail]) -> bytes:
    """The R-071 envelope as JSON bytes; ``status`` is always ``ERROR`` (C-12)."""
    body = {"status": "ERROR", "errors": [error.as_dict() for error in errors]}
    # pydantic-core's encoder: compact UTF-8 JSON, several times faster than json.dumps here.
    return to_json(body)


class ApiError(Exception):
    """An error answer: an HTTP status and one or more ``errors[]`` entries.

    Subclasses fix the status and the default code; the domain raises them with its own values,
    and the HTTP layer alone turns them into a response.
    """

    status: ClassVar[int] = 400
    default_code: ClassVar[ErrorCode] = ErrorCode.BAD_REQUEST

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        errors: Iterable[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if errors is None:
            errors = [ErrorDetail(code or self.default_code, message or "")]
        self.errors: list[ErrorDetail] = list(errors)
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__("; ".join(error.message for error in self.errors))

    def body(self) -> bytes:
        return error_envelope(self.errors)


class BadRequest(ApiError):
    status = 400
    default_code = ErrorCode.BAD_REQUEST


class Unauthorized(ApiError):
    status = 401
    default_code = ErrorCode.UNAUTHORIZED


class Forbidden(ApiError):
    status = 403
    default_code = ErrorCode.FORBIDDEN


class NotFound(ApiError):
    status = 404
    default_code = ErrorCode.NOT_FOUND


class MethodNotAllowed(ApiError):
    status = 405
    default_code = ErrorCode.METHOD_NOT_ALLOWED


class Gone(ApiError):
    """410: the method is being retired (OQ-29). Not a limit: repeating the call does not bring
    the method back; the message names the method to use instead."""

    status = 410
    default_code = ErrorCode.GONE


class RequestTimeout(ApiError):
    """The declared body did not arrive in time; the connection is closed after the answer."""

    status = 408
    default_code = ErrorCode.REQUEST_TIMEOUT


class UriTooLong(ApiError):
    status = 414
    default_code = ErrorCode.URI_TOO_LONG


class HeaderFieldsTooLarge(ApiError):
    status = 431
    default_code = ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE


class UnsupportedMediaType(ApiError):
    status = 415
    default_code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


class LimitExceeded(ApiError):
    """420 Enhance Your Calm (R-085, R-086, C-11); code per OQ-14."""

    status = 420
    default_code = ErrorCode.METHOD_FAILURE


class Locked(ApiError):
    status = 423
    default_code = ErrorCode.LOCKED


class InternalError(ApiError):
    status = 500
    default_code = ErrorCode.INTERNAL_ERROR


class ServiceUnavailable(ApiError):
    status = 503
    default_code = ErrorCode.SERVICE_UNAVAILABLE


class StoreCallFailed(ApiError):
    """The Market's POST /cart to the store got no usable answer (OQ-16); the code is the
    failure class of the Market's push log (``CONNECTION_REFUSED``, ``HTTP``, ``INVALID_DATA``,
    ...)."""

    status = 502
    default_code = ErrorCode.SERVICE_UNAVAILABLE


class StoreCallTimedOut(StoreCallFailed):
    """The store did not answer POST /cart within the Market's deadline (R-037)."""

    status = 504


class BasketUnavailable(BadRequest):
    """The store answered, but nothing in the basket can be ordered as asked."""

    default_code = ErrorCode.BASKET_UNAVAILABLE


class InvalidOrderStatus(BadRequest):
    """The method is not allowed in the order's current status (R-019, OQ-03, OQ-08)."""

    default_code = ErrorCode.INVALID_ORDER_STATUS

    def __init__(self, *, order_id: int, status: str, allowed: Iterable[str]) -> None:
        super().__init__(
            Messages.INVALID_ORDER_STATUS.format(
                order_id=order_id, status=status, allowed=", ".join(allowed)
            )
        )


class OrderInTerminalState(BadRequest):
    """The order is DELIVERED or CANCELLED and can no longer change (OQ-01)."""

    default_code = ErrorCode.ORDER_IN_TERMINAL_STATE

    def __init__(self, *, order_id: int, status: str) -> None:
        super().__init__(Messages.ORDER_IN_TERMINAL_STATE.format(order_id=order_id, status=status))


def item_not_found(*, order_id: int, item_id: int, field: str) -> ErrorDetail:
    """One ``ITEM_NOT_FOUND`` entry (OQ-03, OQ-07); several may go in one answer."""
    return ErrorDetail(
        ErrorCode.ITEM_NOT_FOUND,
        Messages.ITEM_NOT_FOUND.format(item_id=item_id, field=field, order_id=order_id),
    )
