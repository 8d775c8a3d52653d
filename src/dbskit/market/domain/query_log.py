"""The query log's rules (the cabinet's "Query log"; R-111 keeps it 10 days).

What an entry keeps of a call: headers with every credential redacted, bodies as UTF-8 text cut at
a size limit (the entry says when it was cut and how big the body was), and the opaque token that
pages through the log newest first.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

REDACTED: Final = "***"
# Credentials never stored: the Partner API key, the OAuth header, the sandbox's
# own token and cookies.
_SECRET_HEADERS: Final = frozenset({"api-key", "authorization", "sandbox-token", "cookie"})


def redacted_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers as a dict (repeated names joined by ``, ``), credentials replaced by ``***``."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name, secret = _header_name(raw_name)
        value = REDACTED if secret else raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


@functools.lru_cache(maxsize=512)
def _header_name(raw_name: bytes) -> tuple[str, bool]:
    """A header's name as logged, and whether its value is a credential (the same few names
    come with every call)."""
    name = raw_name.decode("latin-1").lower()
    return name, name in _SECRET_HEADERS


class ClippedBody(NamedTuple):
    text: str
    size: int  # the whole body, in bytes
    truncated: bool


def clip_body(chunks: list[bytes], *, size: int, limit: int) -> ClippedBody:
    """The first ``limit`` bytes as text. A character cut in half at the limit is left out;
    bytes that are not UTF-8 show as U+FFFD."""
    if not chunks:
        return ClippedBody("", size, size > limit)
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if size <= limit and len(body) <= limit:
        return ClippedBody(body.decode("utf-8", "replace"), size, False)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return ClippedBody(decoder.decode(body[:limit], final=False), size, True)


class InvalidPageToken(ValueError):
    """A page token this server did not issue."""


@dataclass(frozen=True, slots=True)
class PagePosition:
    """Where the previous page ended: entries strictly older than (at_us, id) come next."""

    at_us: int
    entry_id: int

    def token(self) -> str:
        raw = f"{self.at_us}.{self.entry_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> PagePosition:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
            at_us, entry_id = raw.split(".")
            position = cls(int(at_us), int(entry_id))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidPageToken(token) from None
        if position.token() != token:  # only the exact spelling this server hands out
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
