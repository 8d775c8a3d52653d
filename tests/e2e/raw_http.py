"""Raw HTTP/1.1 requests for the fuzzer: strategies that build them byte by byte, and a client
that sends one over a fresh socket and reads whatever comes back.

The strategies aim at the places where a server meets bytes it did not expect: request lines,
paths of the operation table with hostile ids, headers (repeated credentials, oversized and
non-UTF-8 values, wrong lengths) and bodies (bytes, JSON with NUL, huge numbers, deep nesting).
"""

from __future__ import annotations

import contextlib
import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from hypothesis import strategies as st

from dbskit.contract.operations import OPERATIONS

# Ids a path may carry: valid, out of int64, not ASCII digits, empty, encoded NUL.
HOSTILE_IDS = (
    "1",
    "21000001",
    "0",
    "-1",
    "1_000",
    "1.5",
    "%00",
    "%2e%2e",
    "\uff19",  # a full-width digit nine
    "9" * 19,
    "9" * 4301,
    str(2**63),
    "",
)
SANDBOX_ROUTES = (
    ("GET", "/sandbox/clock"),
    ("POST", "/sandbox/clock"),
    ("GET", "/sandbox/outbox"),
    ("GET", "/sandbox/requests"),
    ("POST", "/sandbox/campaigns"),
    ("POST", "/sandbox/campaigns/{campaignId}/orders"),
    ("GET", "/sandbox/campaigns/{campaignId}/orders/{orderId}"),
    ("POST", "/sandbox/tokens"),
    ("GET", "/sandbox/nonexistent"),
)
ROUTES = tuple(sorted({(op.method, "/v2" + op.path) for op in OPERATIONS} | set(SANDBOX_ROUTES)))
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "G\x00T", "get")
QUERY_NAMES = (
    "orderIds",
    "status",
    "substatus",
    "fromDate",
    "toDate",
    "updatedAtFrom",
    "updatedAtTo",
    "supplierShipmentDateFrom",
    "page",
    "pageSize",
    "page_token",
    "limit",
    "fake",
    "apiKey",
    "campaignId",
    "orderId",
)
QUERY_VALUES = (
    "",
    "1",
    "-1",
    "garbage",
    "9999-12-31T00:00:00Z",
    "0001-01-01T00:00:00%2B14:00",
    "01-01-2026",
    "%00",
    "%ff",
    "9" * 400,
    "true",
    "PROCESSING",
)


@dataclass(frozen=True)
class Known:
    """What the server under test really holds, so that part of the requests gets past
    authentication and reaches the handlers: a campaign, one of its orders, a key, the token."""

    campaign_id: int
    order_id: int
    api_key: str
    sandbox_token: str


@dataclass
class RawRequest:
    method: str
    target: str
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    version: bytes = b"HTTP/1.1"
    content_length: bytes | None = None  # None: the body's true length

    def encode(self, host: str) -> bytes:
        lines = [self.method.encode("utf-8", "surrogateescape") + b" "]
        lines[0] += self.target.encode("utf-8", "surrogateescape") + b" " + self.version
        lines.append(b"Host: " + host.encode())
        lines += [name + b": " + value for name, value in self.headers]
        length = self.content_length
        if length is None and (self.body or self.method in ("POST", "PUT", "PATCH")):
            length = str(len(self.body)).encode()
        if length is not None:
            lines.append(b"Content-Length: " + length)
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


def _path(template: str, campaign: str, order: str) -> str:
    return template.replace("{campaignId}", campaign).replace("{orderId}", order)


@st.composite
def routes(draw: st.DrawFn, known: Known) -> tuple[str, str]:
    """A method and a target: one of the operation table's or the sandbox's, its ids the known
    ones or hostile ones, its method its own half of the time."""
    method, template = draw(st.sampled_from(ROUTES))
    if draw(st.booleans()):
        method = draw(st.sampled_from(METHODS))
    campaigns = st.sampled_from((str(known.campaign_id),) * 8 + HOSTILE_IDS)
    orders = st.sampled_from((str(known.order_id),) * 8 + HOSTILE_IDS)
    path = _path(template, draw(campaigns), draw(orders))
    path += draw(st.sampled_from(("", "", "", ".json", "/", "//x", "/../sandbox/clock")))
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(QUERY_NAMES), st.sampled_from(QUERY_VALUES)), max_size=3)
    )
    if pairs:
        path += "?" + "&".join(f"{name}={value}" for name, value in pairs)
    return method, path


_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
_JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    _TEXT,
    st.just("\x00"),
    st.just("a\x00b"),
)
_JSON = st.recursive(
    _JSON_LEAF,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(
                (
                    "items",
                    "id",
                    "codes",
                    "slip",
                    "activate_till",
                    "trackCode",
                    "deliveryServiceId",
                    "order",
                    "status",
                    "instances",
                    "cis",
                    "name",
                    "advanceSeconds",
                    "count",
                    "offerId",
                )
            )
            | _TEXT,
            children,
            max_size=4,
        ),
    ),
    max_leaves=20,
)


def _deeply_nested(depth: int) -> bytes:
    return b'{"items":' + b"[" * depth + b"]" * depth + b"}"


bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=200),
    _JSON.map(lambda value: json.dumps(value, ensure_ascii=False).encode()),
    st.integers(min_value=100, max_value=100_000).map(_deeply_nested),
    st.just(b'{"trackCode": "A\\u0000B", "deliveryServiceId": 1}'),
    st.just(b'{"items": [{"id": 1e400}]}'),
    st.just(b"\xff\xfe{}"),
)

_CREDENTIALS = (b"Api-Key", b"Authorization", b"Sandbox-Token", b"api-key", b"X-Api-Key")
_HEADER_VALUES = st.one_of(
    st.sampled_from(
        (b"", b" ", b"ACMA:x:y", b"Bearer  y0_abc", b"Bearer", b"\xff\xfe", b"sandbox-token")
    ),
    st.binary(max_size=30).filter(lambda value: b"\r" not in value and b"\n" not in value),
    st.integers(min_value=1, max_value=20_000).map(lambda size: b"v" * size),
)
_CONTENT_TYPES = (b"application/json", b"text/plain", b"application/json; charset=latin-1", b"")


@st.composite
def headers(draw: st.DrawFn, known: Known) -> list[tuple[bytes, bytes]]:
    found: list[tuple[bytes, bytes]] = []
    if draw(st.integers(min_value=0, max_value=2)):  # most requests carry the right credentials
        found.append((b"Api-Key", known.api_key.encode()))
        found.append((b"Sandbox-Token", known.sandbox_token.encode()))
    else:
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            found.append((draw(st.sampled_from(_CREDENTIALS)), draw(_HEADER_VALUES)))
    if draw(st.booleans()):
        found.append((b"Content-Type", draw(st.sampled_from(_CONTENT_TYPES))))
    if draw(st.integers(min_value=0, max_value=9)) == 0:  # many fields
        count = draw(st.integers(min_value=50, max_value=150))
        found += [(b"X-Filler-%d" % number, b"x") for number in range(count)]
    if draw(st.booleans()):
        found.append((b"X-Request-Id", draw(_HEADER_VALUES)))
    return found


# Lengths that disagree with the body. Most requests declare the true length: a declared length
# longer than the body makes the server wait for the body deadline, one second a case.
_WRONG_LENGTHS = (b"-1", b"abc", b"600000", b"99999999999999999999", b"1, 2", b"+5", b"0x10")
_ODD_TARGETS = ("*", "x", "/%ff", "/" + "a" * 70_000, "/v2/../sandbox/clock")


@st.composite
def raw_requests(draw: st.DrawFn, known: Known) -> RawRequest:
    body = draw(bodies)
    content_length: bytes | None = None
    choice = draw(st.integers(min_value=0, max_value=39))
    if choice == 0:
        content_length = draw(st.sampled_from(_WRONG_LENGTHS))
    elif choice == 1:
        content_length = str(draw(st.integers(min_value=0, max_value=len(body) + 10))).encode()
    method, target = draw(routes(known))
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        target = draw(st.sampled_from(_ODD_TARGETS))
    return RawRequest(
        method=method,
        target=target,
        headers=draw(headers(known)),
        body=body,
        version=draw(st.sampled_from((b"HTTP/1.1",) * 6 + (b"HTTP/1.0", b"HTTP/9.9", b"FOO"))),
        content_length=content_length,
    )


@dataclass(frozen=True)
class RawAnswer:
    status: int  # 0: no status line came back
    reason: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    timed_out: bool = False  # the server neither finished its answer nor closed in time

    def json(self) -> Any:
        return json.loads(self.body)


def connect(base_url: str, *, timeout: float) -> socket.socket:
    address = urlsplit(base_url)
    return socket.create_connection((address.hostname, address.port), timeout=timeout)


def read_answer(sock: socket.socket) -> RawAnswer:
    """One answer read off ``sock``: up to its ``Content-Length``, or until the server closes
    the connection or the socket's timeout passes without a byte."""
    data = b""
    timed_out = False
    try:
        while chunk := sock.recv(65536):
            data += chunk
            if _complete(data):
                break
    except TimeoutError:
        timed_out = True
    except OSError:
        pass  # reset by the server: what came before is the answer
    return _parse(data, timed_out)


def exchange(base_url: str, data: bytes, *, timeout: float) -> RawAnswer:
    """Send ``data`` on a new connection and read the answer."""
    with connect(base_url, timeout=timeout) as sock:
        # The server may answer and close before it has read everything sent.
        with contextlib.suppress(OSError):
            sock.sendall(data)
        return read_answer(sock)


def send(base_url: str, request: RawRequest, *, timeout: float) -> RawAnswer:
    host = urlsplit(base_url).netloc
    return exchange(base_url, request.encode(host), timeout=timeout)


def _complete(data: bytes) -> bool:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip() or b"0")
    return False


def _parse(data: bytes, timed_out: bool) -> RawAnswer:
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    reason = parts[2] if len(parts) == 3 else ""
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers and headers["content-length"].isdigit():
        body = body[: int(headers["content-length"])]
    return RawAnswer(status, reason, headers, body, timed_out)
