"""What both clients share around one attempt: credentials, reading an answer, and the decision
after a failure. The sync and the async client differ only in how they send and sleep."""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from dbskit.client import _constants as c
from dbskit.client._calls import Call
from dbskit.client._exceptions import (
    AuthenticationError,
    BadRequestError,
    ErrorAnswer,
    MarketApiError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RateLimitState,
    ServerError,
    TransportError,
    UnexpectedAnswerError,
)
from dbskit.client._lax import parse_answer
from dbskit.client._retry import (
    Action,
    Reason,
    RetryEvent,
    RetryPolicy,
    decide,
    hourly_wait,
    is_parallel_limit,
    repeat_found_it_done,
)
from dbskit.contract.errors import ErrorDetail

log = logging.getLogger("dbskit.client")

Answer = TypeVar("Answer", bound=BaseModel)
OnRetry = Callable[[RetryEvent], None]

_ERROR_CLASSES: Final[Mapping[int, type[MarketApiError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
}
_LIMITED: Final = 420  # R-085, C-11


# Request ids: this process's random prefix and a counter, unique without a uuid per call
# (contract/limits.py REQUEST_ID_PATTERN: the emulator keeps ids of [A-Za-z0-9_.:-], 1-128).
_REQUEST_ID_PREFIX: Final = os.urandom(8).hex() + "-"
_request_numbers = itertools.count(1)


def next_request_id() -> str:
    return f"{_REQUEST_ID_PREFIX}{next(_request_numbers):x}"


def credential_headers(api_key: str | None, oauth_token: str | None) -> dict[str, str]:
    """``Api-Key`` (R-073), or ``Authorization: Bearer`` for an OAuth token (R-074); the emulator
    takes either as the Market does (docs/decisions.md, "Access")."""
    if (api_key is None) == (oauth_token is None):
        raise ValueError("give exactly one of api_key and oauth_token")
    if api_key is not None:
        return {c.API_KEY_HEADER: api_key}
    return {c.AUTHORIZATION_HEADER: f"Bearer {oauth_token}"}


def credential_key(headers: Mapping[str, str]) -> str:
    return headers.get(c.API_KEY_HEADER) or headers.get(c.AUTHORIZATION_HEADER, "")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def rate_limit_state(headers: httpx.Headers) -> RateLimitState:
    return RateLimitState(
        limit=_int(headers.get(c.LIMIT_HEADER)),
        remaining=_int(headers.get(c.REMAINING_HEADER)),
        until=_moment(headers.get(c.UNTIL_HEADER)),
    )


def _error_entries(body: str) -> tuple[ErrorDetail, ...]:
    """``errors[]`` of the R-071 envelope, each entry's code and message as written."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        return ()
    entries = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return ()
    return tuple(
        ErrorDetail(str(entry.get("code", "")), str(entry.get("message", "")))
        for entry in entries
        if isinstance(entry, dict)
    )


def error_from(call: Call[Any], response: httpx.Response, request_id: str) -> MarketApiError:
    status = response.status_code
    headers = response.headers
    answer = ErrorAnswer(
        operation_id=call.operation_id,
        status_code=status,
        errors=_error_entries(response.text),
        body=response.text,
        request_id=headers.get(c.REQUEST_ID_HEADER) or request_id,
        rate_limit=rate_limit_state(headers),
        headers=dict(headers),
    )
    if status == _LIMITED:
        hourly = not is_parallel_limit(tuple(error.message for error in answer.errors))
        return RateLimitedError(
            answer, hourly=hourly, reset_at=answer.rate_limit.until if hourly else None
        )
    if status >= 500:
        return ServerError(answer)
    return _ERROR_CLASSES.get(status, MarketApiError)(answer)


def read_answer(call: Call[Answer], response: httpx.Response) -> Answer:
    try:
        return parse_answer(call.answer, response.content)
    except ValidationError as exc:
        raise UnexpectedAnswerError(
            f"{call.operation_id}: the answer is not a {call.answer.__name__}: {exc}",
            operation_id=call.operation_id,
            status_code=response.status_code,
            body=response.text,
        ) from None


@dataclass(slots=True)
class Attempts:
    """The state of one call across its attempts; ``after_*`` decide what comes next."""

    call: Call[Any]
    policy: RetryPolicy
    on_retry: OnRetry | None
    request_id: str
    attempt: int = 1
    # An attempt may have reached the Market and done its work: a 5xx or a dropped connection.
    uncertain: bool = False

    def after_transport_error(self, exc: httpx.TransportError) -> float:
        """The delay before the next attempt; raises a TransportError when there is none."""
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        reason = Reason.CONNECT if never_sent else Reason.DROPPED
        error = TransportError(
            f"{self.call.operation_id}: {type(exc).__name__}: {exc}",
            operation_id=self.call.operation_id,
            request_id=self.request_id,
        )
        delay = self._decide(reason, None, str(exc) or type(exc).__name__, None)
        if delay is None:
            raise error from exc
        if not never_sent:
            self.uncertain = True
        return delay

    def after_error_answer(self, error: MarketApiError, response: httpx.Response) -> float | None:
        """The delay before the next attempt, or None when the call is done after all (OQ-01);
        raises ``error`` when it is final."""
        codes = tuple(entry.code for entry in error.errors)
        messages = tuple(entry.message for entry in error.errors)
        if repeat_found_it_done(
            self.call.operation_id, uncertain_before=self.uncertain, codes=codes, messages=messages
        ):
            self._emit(None, Action.DONE, 0.0, error.status_code, "; ".join(messages))
            return None
        reason: Reason | None = None
        wait: float | None = None
        if isinstance(error, RateLimitedError):
            if error.hourly:
                reason = Reason.HOURLY_LIMIT
                wait = hourly_wait(error.reset_at, _moment(response.headers.get(c.DATE_HEADER)))
            else:
                reason = Reason.PARALLEL_LIMIT
        elif isinstance(error, ServerError):
            reason = Reason.SERVER_ERROR
        if reason is None:
            raise error
        detail = "; ".join(messages) or error.body[:200]
        delay = self._decide(reason, wait, detail, error.status_code)
        if delay is None:
            raise error
        if reason is Reason.SERVER_ERROR:
            self.uncertain = True
        return delay

    def _decide(
        self, reason: Reason, wait: float | None, detail: str, status: int | None
    ) -> float | None:
        action, delay = decide(
            operation_id=self.call.operation_id,
            reason=reason,
            attempt=self.attempt,
            policy=self.policy,
            jitter=random.random(),
            hourly_wait_seconds=wait,
        )
        self._emit(reason, action, delay, status, detail)
        if action is not Action.RETRY:
            return None
        self.attempt += 1
        return delay

    def _emit(
        self, reason: Reason | None, action: Action, delay: float, status: int | None, detail: str
    ) -> None:
        event = RetryEvent(
            operation_id=self.call.operation_id,
            attempt=self.attempt,
            reason=reason,
            action=action,
            delay_seconds=delay,
            status_code=status,
            detail=detail,
        )
        log.info(
            "%s attempt %d: %s (%s), %s%s",
            event.operation_id,
            event.attempt,
            reason.value if reason else "repeat",
            detail,
            action.value,
            f" in {delay:.3f} s" if action is Action.RETRY else "",
        )
        if self.on_retry is not None:
            self.on_retry(event)
