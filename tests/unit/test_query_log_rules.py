"""What a query-log entry keeps of a call: redacted headers, clipped bodies, page tokens (R-111)."""

from __future__ import annotations

import pytest

from dbskit.market.domain.query_log import (
    ClippedBody,
    InvalidPageToken,
    PagePosition,
    clip_body,
    is_secret_name,
    redacted_headers,
    redacted_query,
)


def test_credentials_are_redacted_and_repeated_headers_joined() -> None:
    raw = [
        (b"Api-Key", b"ACMA:secret:0123abcd"),
        (b"authorization", b"Bearer y0_secret"),
        (b"sandbox-token", b"t"),
        (b"cookie", b"a=b"),
        (b"accept", b"application/json"),
        (b"accept", b"*/*"),
        (b"x-note", "café".encode("latin-1")),
    ]
    assert redacted_headers(raw) == {
        "api-key": "***",
        "authorization": "***",
        "sandbox-token": "***",
        "cookie": "***",
        "accept": "application/json, */*",
        "x-note": "café",
    }


@pytest.mark.parametrize(
    "name",
    [
        "Proxy-Authorization",
        "X-Api-Key",
        "apiKey",
        "access_token",
        "X-Client-Secret",
        "JSESSIONID",
        "Set-Cookie",
        "X-Hub-Signature-256",
        "pass_word",
        "user.pwd",
        "X-Amz-Credential",
    ],
)
def test_names_that_carry_secrets(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["page_token", "pageToken", "Page-Token", "accept", "x-request-id", "sig", "limit"]
)
def test_names_that_do_not(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        pytest.param(b"", "", id="empty"),
        pytest.param(b"limit=5&page_token=abc", "limit=5&page_token=abc", id="nothing-secret"),
        pytest.param(b"apiKey=s&x=1", "apiKey=***&x=1", id="masked-in-place"),
        pytest.param(b"Api%2DKey=s&Api+Key=t", "Api%2DKey=***&Api+Key=***", id="decoded-name"),
        pytest.param(b"token&token=&a=b=c", "token&token=***&a=b=c", id="no-value-kept"),
        pytest.param(b"x=1&&secret=a=b", "x=1&&secret=***", id="odd-shapes"),
    ],
)
def test_secret_query_values_are_masked(raw: bytes, logged: str) -> None:
    assert redacted_query(raw) == logged


@pytest.mark.parametrize(
    ("chunks", "size", "limit", "clipped"),
    [
        pytest.param([], 0, 10, ClippedBody("", 0, False), id="empty"),
        pytest.param([b'{"a":', b"1}"], 7, 10, ClippedBody('{"a":1}', 7, False), id="joined"),
        pytest.param([b"abcdef"], 6, 6, ClippedBody("abcdef", 6, False), id="exactly-at-limit"),
        pytest.param([b"abcdefg"], 7, 6, ClippedBody("abcdef", 7, True), id="one-over"),
        pytest.param(
            ["ключ".encode()], 8, 3, ClippedBody("к", 8, True), id="cut-inside-a-character"
        ),
        pytest.param([b"a\xffb"], 3, 10, ClippedBody("a\ufffdb", 3, False), id="not-utf8"),
        # NUL as both databases store it, in the part kept: found in the bytes, wide text too.
        pytest.param(
            ["ключ\x00".encode(), b"\x00"],
            10,
            10,
            ClippedBody("ключ\ufffd\ufffd", 10, False),
            id="nul-in-wide-text",
        ),
        pytest.param([b"ab\x00cd"], 5, 2, ClippedBody("ab", 5, True), id="nul-beyond-the-limit"),
        pytest.param([b"a\x00bcd"], 5, 3, ClippedBody("a\ufffdb", 5, True), id="nul-before-it"),
        pytest.param(
            [b"0123456789"], 700_000, 4, ClippedBody("0123", 700_000, True), id="read-in-part"
        ),
    ],
)
@pytest.mark.decision("Query log")
def test_bodies_are_clipped_at_the_limit(
    chunks: list[bytes], size: int, limit: int, clipped: ClippedBody
) -> None:
    assert clip_body(chunks, size=size, limit=limit) == clipped


def test_page_tokens_round_trip() -> None:
    position = PagePosition(1_700_000_000_123_456, 42)
    token = position.token()
    assert "=" not in token and "." not in token
    assert PagePosition.from_token(token) == position


@pytest.mark.parametrize(
    "token",
    ["", "!!", "bm9wZQ", PagePosition(1, 2).token() + "=", PagePosition(1, 2).token() + "A"],
)
def test_foreign_page_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidPageToken):
        PagePosition.from_token(token)
