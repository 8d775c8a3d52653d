"""The query log's rules (the cabinet's "Query log"; R-111 keeps it 10 days).

What an entry keeps of a call: headers and query parameters with every secret redacted (by name),
bodies as UTF-8 text cut at a size limit (the entry says when it was cut and how big the body
was), and the opaque token that pages through the log newest first.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, NamedTuple

from dbskit.contract._base import ID_MIN, INT64_MAX

REDACTED: Final = "***"
# Values never stored: those of every header and query parameter whose name, in lower case and
# without its punctuation, contains one of these words. ``Api-Key``, ``Authorization``
# ``Sandbox-Token``, ``Cookie``, ``Proxy-Authorization``, ``X-Api-Key``, ``?apiKey=``,
# ``?access_token=``, ``X-Hub-Signature`` all match; a false match only hides a value.
SECRET_NAME_WORDS: Final = (
    "token",
    "key",
    "auth",
    "secret",
    "passw",
    "pwd",
    "session",
    "cookie",
    "signature",
    "credential",
)
_SECRET_NAME: Final = re.compile("|".join(SECRET_NAME_WORDS))
_NOT_ALPHANUMERIC: Final = re.compile(r"[^0-9a-z]+")
# The Partner API's paging cursor (spec AliasedPageToken) is the Market's own, not a credential.
_NOT_SECRET: Final = frozenset({"pagetoken"})


def is_secret_name(name: str) -> bool:
    """Whether a header or query parameter of this name carries a secret."""
    plain = _NOT_ALPHANUMERIC.sub("", name.lower())
    return plain not in _NOT_SECRET and _SECRET_NAME.search(plain) is not None


def redacted_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers as a dict (repeated names joined by ``, ``), secrets replaced by ``***``."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name, secret = _header_name(raw_name)
        value = REDACTED if secret else raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


@functools.lru_cache(maxsize=512)
def _header_name(raw_name: bytes) -> tuple[str, bool]:
    """A header's name as logged, and whether its value is a secret (the same few names come
    with every call)."""
    name = raw_name.decode("latin-1").lower()
    return name, is_secret_name(name)


def redacted_query(raw: bytes) -> str:
    """The query string as sent, with the value of every secret parameter replaced by ``***``
    (``apiKey=***``); names, order and every other value are kept as they were spelled."""
    query = raw.decode("latin-1")
    if not query:
        return query
    fields = query.split("&")
    for index, field in enumerate(fields):
        name, equals, _value = field.partition("=")
        if equals and _query_name_is_secret(name):
            fields[index] = f"{name}={REDACTED}"
    return "&".join(fields)


@functools.lru_cache(maxsize=512)
def _query_name_is_secret(spelled: str) -> bool:
    """As parsed: ``+`` is a space and ``%XX`` a byte (``Api%2DKey`` is ``Api-Key``)."""
    return is_secret_name(urllib.parse.unquote_plus(spelled))


NUL: Final = "\x00"
NUL_STORED_AS: Final = "\ufffd"  # as bytes that are not UTF-8 are stored


def storable(text: str) -> str:
    """``text`` as both databases store it: PostgreSQL's text cannot hold NUL."""
    return text.replace(NUL, NUL_STORED_AS) if NUL in text else text


class ClippedBody(NamedTuple):
    text: str
    size: int  # the whole body, in bytes
    truncated: bool


def clip_body(chunks: list[bytes], *, size: int, limit: int) -> ClippedBody:
    """The first ``limit`` bytes as text, as both databases store it (``storable``). A
    character cut in half at the limit is left out; bytes that are not UTF-8 show as U+FFFD."""
    if not chunks:
        return ClippedBody("", size, size > limit)
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if size <= limit and len(body) <= limit:
        text = body.decode("utf-8", "replace")
        truncated = False
    else:
        body = body[:limit]
        text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(body, final=False)
        truncated = True
    # NUL looked for in the bytes (UTF-8 writes no other character with a zero byte): in a text
    # with a character beyond Latin-1 the search goes a character at a time, 84 µs for a 60 KB
    # page of orders against 1.4 µs in its bytes.
    return ClippedBody(storable(text) if b"\x00" in body else text, size, truncated)


class InvalidPageToken(ValueError):
    """A page token this server did not issue."""


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# The moments a token may name: those a datetime holds (years 1 to 9999), as microseconds since
# the epoch, the way every dbskit database stores a time.
PAGE_MOMENT_MIN_US: Final = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
PAGE_MOMENT_MAX_US: Final = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class PagePosition:
    """Where the previous page ended: rows strictly older than (at_us, id) come next.

    The query log, the outbox and the cabinet's orders list page by (time, id) alike, so one
    position and one token serve all three.
    """

    at_us: int
    entry_id: int

    def token(self) -> str:
        raw = f"{self.at_us}.{self.entry_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> PagePosition:
        """The position ``token`` names; ``InvalidPageToken`` for one this server did not issue.

        A well-formed token out of every stored range (a moment before year 1 or past year 9999,
        an id outside 1..2**63-1) is no position this server gave either: it is refused like a
        garbled one rather than failing on the way to SQL.
        """
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
            at_us, entry_id = raw.split(".")
            position = cls(int(at_us), int(entry_id))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidPageToken(token) from None
        if position.token() != token:  # only the exact spelling this server hands out
            raise InvalidPageToken(token)
        if not PAGE_MOMENT_MIN_US <= position.at_us <= PAGE_MOMENT_MAX_US:
            raise InvalidPageToken(token)
        if not ID_MIN <= position.entry_id <= INT64_MAX:
            raise InvalidPageToken(token)
        return position


@dataclass(slots=True)
class CapturedCall:
    """A call as the recorder saw it, kept raw so the hot path only stores references.

    It becomes a row (decoding, redacting, cutting bodies) once the answer is complete.
    """

    at: datetime
    method: str
    path: str
    query: bytes
    request_headers: list[tuple[bytes, bytes]]
    request_chunks: list[bytes]
    request_size: int = 0
    status: int = 0
    response_headers: list[tuple[bytes, bytes]] | None = None
    response_chunks: list[bytes] | None = None
    response_size: int = 0
    operation_id: str | None = None
    campaign_id: int | None = None
    business_id: int | None = None
    fault_rule_id: int | None = None  # a sandbox fault rule faulted the call
    fault: str | None = None
    order_id: int | None = None  # the order the call's path names (0016)
