"""Hostile credentials against a real ``dbskit serve``: blank tokens, the control plane's gate,
repeated and malformed credential headers, secrets in the query log, client request ids."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dbskit.settings import normalise_database_url
from tests.conftest import _postgres_schema, envelope, postgres_url
from tests.e2e.server import dbskit_env, free_port, running_server, stop

pytestmark = [pytest.mark.e2e]

TOKEN = "e2e-hostile-sandbox-token"
PUSH = "e2e-hostile-push-token"
SANDBOX = {"Sandbox-Token": TOKEN}
DELIVERY_SERVICES = "/v2/delivery/services"
SANDBOX_REFUSED = envelope(("UNAUTHORIZED", "Sandbox-Token header is missing or wrong"))
WELL_FORMED_UNKNOWN = "ACMA:I4c4CxCSYaI41RSC2uYWP2qj3Rhhm4knMiBEga5K:151c0664"  # R-073 sample
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@dataclass
class Served:
    base_url: str
    api_key: str
    oauth: str
    business_id: int
    output: Callable[[], str]

    def get(self, path: str, headers: Any = None, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.base_url + path, headers=headers, timeout=10, **kwargs)


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database of this kind: an SQLite file, or a PostgreSQL schema of its own."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'dbskit.sqlite3'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL not configured: set DBSKIT_TEST_POSTGRES_URL to run this case")
    yield from _postgres_schema(base)


@contextmanager
def serving(kind: str, *extra: str) -> Iterator[Served]:
    folder = Path(tempfile.mkdtemp(prefix="dbskit-hostile-"))
    with database(kind, folder) as url:
        args = ["--data-dir", str(folder / "data"), "--database-url", url, *extra]
        env = {"DBSKIT_SANDBOX_TOKEN": TOKEN, "DBSKIT_STORE_TOKEN": PUSH}
        with running_server(args, env=env, ready_headers=SANDBOX) as server:
            demo = re.search(r"demo business  (\d+), campaign \d+", server.output())
            key = re.search(r"demo Api-Key   (\S+)", server.output())
            assert demo is not None and key is not None
            business_id = int(demo.group(1))
            issued = httpx.post(
                server.base_url + "/sandbox/tokens",
                headers=SANDBOX,
                json={"businessId": business_id, "type": "OAUTH"},
                timeout=10,
            )
            assert issued.status_code == 201
            yield Served(
                server.base_url,
                key.group(1),
                issued.json()["oauthToken"],
                business_id,
                server.output,
            )


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=DATABASES)
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    with serving(request.param) as server:
        yield server


# D7: blank tokens ---------------------------------------------------------------------------

SANDBOX_FLAG_BLANK = (
    "dbskit: refusing to serve: --sandbox-token (DBSKIT_SANDBOX_TOKEN) is empty or blank; give "
    "a token, or leave it unset on a loopback host to have one generated\n"
)
STORE_FLAG_BLANK = (
    "dbskit: refusing to serve: --store-token (DBSKIT_STORE_TOKEN) is empty or blank; give "
    "a token, or leave it unset on a loopback host to have one generated\n"
)


def _file_blank(data_dir: Path, name: str, flag: str, variable: str) -> str:
    return (
        f"dbskit: refusing to serve: the token file {data_dir / name} is empty or blank; write "
        f"a token into it, or delete it to have one generated ({flag} or {variable} give one "
        "too)\n"
    )


@pytest.mark.decision("Empty tokens")
@pytest.mark.parametrize(
    ("command", "args", "env", "files", "expected"),
    [
        pytest.param(
            ["serve", "--host", "0.0.0.0"],
            ["--sandbox-token", ""],
            {"DBSKIT_STORE_TOKEN": PUSH},
            {},
            lambda _: SANDBOX_FLAG_BLANK,
            id="sandbox-flag-empty",
        ),
        pytest.param(
            ["serve", "--host", "0.0.0.0"],
            [],
            {"DBSKIT_SANDBOX_TOKEN": " \t ", "DBSKIT_STORE_TOKEN": PUSH},
            {},
            lambda _: SANDBOX_FLAG_BLANK,
            id="sandbox-variable-blank",
        ),
        pytest.param(
            ["serve"],
            [],
            {},
            {"sandbox-token": "\n"},
            lambda d: _file_blank(d, "sandbox-token", "--sandbox-token", "DBSKIT_SANDBOX_TOKEN"),
            id="sandbox-file-empty",
        ),
        pytest.param(
            ["serve", "--host", "0.0.0.0"],
            ["--sandbox-token", TOKEN, "--store-token", ""],
            {},
            {},
            lambda _: STORE_FLAG_BLANK,
            id="store-flag-empty",
        ),
        pytest.param(
            ["serve"],
            ["--sandbox-token", TOKEN],
            {},
            {"store-token": "   \n"},
            lambda d: _file_blank(d, "store-token", "--store-token", "DBSKIT_STORE_TOKEN"),
            id="store-file-blank",
        ),
        pytest.param(
            ["store", "serve"],
            [],
            {"DBSKIT_STORE_TOKEN": ""},
            {},
            lambda _: STORE_FLAG_BLANK,
            id="store-serve-variable-empty",
        ),
    ],
)
def test_a_blank_token_refuses_to_start(
    tmp_path: Path,
    command: list[str],
    args: list[str],
    env: dict[str, str],
    files: dict[str, str],
    expected: Callable[[Path], str],
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for name, text in files.items():
        (data_dir / name).write_text(text)
    port = str(free_port())
    argv = [sys.executable, "-m", "dbskit", *command, "--port", port, "--data-dir", str(data_dir)]
    result = subprocess.run(  # the timeout only detects a server that started after all
        [*argv, *args],
        env=dbskit_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (2, "", expected(data_dir))
    assert not (data_dir / "dbskit.sqlite3").exists()


@pytest.mark.decision("Empty tokens")
def test_a_server_built_on_blank_tokens_accepts_no_empty_credential(tmp_path: Path) -> None:
    """The served app's own factory (what each worker runs) with blank tokens in its variables:
    the start-up refusal is bypassed, and still no empty credential opens anything."""
    port = free_port()
    env = {
        "DBSKIT_DATA_DIR": str(tmp_path / "data"),
        "DBSKIT_SANDBOX_TOKEN": "",
        "DBSKIT_STORE_TOKEN": " ",
        "DBSKIT_STORE_AUTH_MODE": "URL",
    }
    log = (tmp_path / "server.log").open("wb")
    factory = ["uvicorn", "dbskit.app:create_served_app", "--factory", "--no-access-log"]
    process = subprocess.Popen(
        [sys.executable, "-m", *factory, "--port", str(port)],
        env=dbskit_env(env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a hang detector only
        while True:
            try:
                httpx.get(base + "/sandbox/clock", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        for headers in ({}, {"Sandbox-Token": ""}):
            response = httpx.get(base + "/sandbox/clock", headers=headers, timeout=10)
            assert (response.status_code, response.json()) == (401, SANDBOX_REFUSED)
        for query in ("auth-token=", "auth-token=%20", "auth-token=+"):
            response = httpx.post(base + "/store/cart?" + query, json={}, timeout=10)
            assert (response.status_code, response.json()) == (
                403,
                {
                    "error": {
                        "code": "FORBIDDEN",
                        "message": "no push token is configured: every call is refused",
                    }
                },
            )
    finally:
        stop(process)
        log.close()


# D17: the control plane answers 401 before it shows its shape -------------------------------

CONTROL_PLANE_CALLS = [
    ("GET", "/sandbox"),
    ("GET", "/sandbox/"),
    ("GET", "/sandbox/nonexistent"),
    ("POST", "/sandbox/nonexistent/deeper"),
    ("DELETE", "/sandbox/clock"),
    ("PATCH", "/sandbox/requests"),
    ("GET", "/sandbox/clock"),
    ("POST", "/sandbox/clock"),
    ("OPTIONS", "/sandbox/clock"),
    ("GET", "/sandbox/docs"),
    ("GET", "/sandbox/openapi.json"),
    ("GET", "/sandbox/redoc"),
]


@pytest.mark.decision("The Sandbox-Token")
@pytest.mark.parametrize("token", [None, "", "wrong"], ids=["missing", "empty", "wrong"])
@pytest.mark.parametrize(("method", "path"), CONTROL_PLANE_CALLS)
def test_the_control_plane_asks_for_its_token_before_anything_else(
    served: Served, token: str | None, method: str, path: str
) -> None:
    headers = {} if token is None else {"Sandbox-Token": token}
    response = httpx.request(method, served.base_url + path, headers=headers, timeout=10)
    assert (response.status_code, response.json()) == (401, SANDBOX_REFUSED)


@pytest.mark.decision("The Sandbox-Token")
def test_with_its_token_the_control_plane_answers_as_before(served: Served) -> None:
    response = httpx.get(served.base_url + "/sandbox/nonexistent", headers=SANDBOX, timeout=10)
    assert (response.status_code, response.json()) == (
        404,
        envelope(("NOT_FOUND", "Resource not found: '/sandbox/nonexistent'")),
    )
    response = httpx.delete(served.base_url + "/sandbox/clock", headers=SANDBOX, timeout=10)
    assert (response.status_code, response.json()) == (
        405,
        envelope(("METHOD_NOT_ALLOWED", "Request method 'DELETE' not supported")),
    )


# D14: a credential header sent twice ---------------------------------------------------------


def _repeated(header: str) -> dict[str, Any]:
    return envelope(("UNAUTHORIZED", f"{header} header is sent more than once"))


REPEATED_CASES: dict[str, tuple[Callable[[Served], list[tuple[str, str]]], str]] = {
    "api-key-wrong-then-right": (
        lambda s: [("Api-Key", WELL_FORMED_UNKNOWN), ("Api-Key", s.api_key)],
        "Api-Key",
    ),
    "api-key-right-then-wrong": (
        lambda s: [("Api-Key", s.api_key), ("Api-Key", WELL_FORMED_UNKNOWN)],
        "Api-Key",
    ),
    "api-key-empty-then-right": (lambda s: [("Api-Key", ""), ("Api-Key", s.api_key)], "Api-Key"),
    "api-key-right-twice": (lambda s: [("Api-Key", s.api_key)] * 2, "Api-Key"),
    "authorization-right-twice": (
        lambda s: [("Authorization", f"Bearer {s.oauth}")] * 2,
        "Authorization",
    ),
    "authorization-garbage-then-right": (
        lambda s: [("Authorization", "Basic x"), ("Authorization", f"Bearer {s.oauth}")],
        "Authorization",
    ),
    "authorization-twice-beside-an-api-key": (
        lambda s: [("Api-Key", s.api_key)] + [("Authorization", f"Bearer {s.oauth}")] * 2,
        "Authorization",
    ),
}


@pytest.mark.decision("Repeated credential headers")
@pytest.mark.parametrize("case", list(REPEATED_CASES))
def test_a_repeated_credential_header_is_401(served: Served, case: str) -> None:
    headers, header = REPEATED_CASES[case]
    response = served.get(DELIVERY_SERVICES, headers=headers(served))
    assert (response.status_code, response.json()) == (401, _repeated(header))


@pytest.mark.decision("Repeated credential headers")
@pytest.mark.parametrize(
    "tokens",
    [[TOKEN, "wrong"], ["wrong", TOKEN], [TOKEN, TOKEN], ["", TOKEN]],
    ids=["right-then-wrong", "wrong-then-right", "right-twice", "empty-then-right"],
)
def test_a_repeated_sandbox_token_is_401(served: Served, tokens: list[str]) -> None:
    response = served.get("/sandbox/clock", headers=[("Sandbox-Token", t) for t in tokens])
    assert (response.status_code, response.json()) == (401, _repeated("Sandbox-Token"))


@pytest.mark.decision("Repeated credential headers")
@pytest.mark.rule("R-039")
@pytest.mark.parametrize(
    "values", [[PUSH, PUSH], ["wrong", PUSH], [PUSH, "wrong"]], ids=["twice", "second", "first"]
)
def test_a_repeated_push_token_is_403(served: Served, values: list[str]) -> None:
    headers = [("Authorization", value) for value in values]
    response = httpx.post(served.base_url + "/store/cart", headers=headers, json={}, timeout=10)
    assert (response.status_code, response.json()) == (
        403,
        {
            "error": {
                "code": "FORBIDDEN",
                "message": "Authorization header is missing or does not carry the push token",
            }
        },
    )


@pytest.mark.rule("OQ-10")
def test_one_api_key_beside_one_authorization_still_decides(served: Served) -> None:
    """OQ-10 is unchanged: a single Api-Key decides, whatever the single Authorization holds."""
    wrong_key = [("Api-Key", WELL_FORMED_UNKNOWN), ("Authorization", f"Bearer {served.oauth}")]
    response = served.get(DELIVERY_SERVICES, headers=wrong_key)
    assert (response.status_code, response.json()) == (
        401,
        envelope(("UNAUTHORIZED", "Api-Key token is invalid")),
    )
    right_key = [("Api-Key", served.api_key), ("Authorization", "Basic garbage")]
    assert served.get(DELIVERY_SERVICES, headers=right_key).status_code == 200


# D15: one space between Bearer and the token ------------------------------------------------


@pytest.mark.rule("R-074")
@pytest.mark.decision("Access: authentication, scopes, campaigns")
@pytest.mark.parametrize("spacing", ["  ", "   ", " \t"], ids=["two-spaces", "three", "tab"])
def test_more_than_one_space_after_bearer_is_invalid_syntax(served: Served, spacing: str) -> None:
    response = served.get(
        DELIVERY_SERVICES, headers={"Authorization": f"Bearer{spacing}{served.oauth}"}
    )
    assert (response.status_code, response.json()) == (
        401,
        envelope(("UNAUTHORIZED", "Authorization header has invalid syntax")),
    )


@pytest.mark.rule("R-074")
def test_bearer_one_space_and_the_token_passes(served: Served) -> None:
    response = served.get(DELIVERY_SERVICES, headers={"Authorization": f"Bearer {served.oauth}"})
    assert response.status_code == 200


# D16: secrets in the query log --------------------------------------------------------------

SECRET_HEADERS = {
    "Proxy-Authorization": "Basic c2VjcmV0LTE=",
    "X-Api-Key": "secret-2",
    "X-Auth-Token": "secret-3",
    "X-Client-Secret": "secret-4",
    "X-Session-Id": "secret-5",
    "X-Password": "secret-6",
    "X-Hub-Signature-256": "sha256=secret-7",
    "Cookie": "sid=secret-8",
    "X-Amz-Credential": "secret-9",
}
PLAIN_HEADERS = {"X-Trace": "plain-1", "Accept-Language": "ru"}
QUERY = (
    "apiKey=secret-10&x=plain-2&access_token=secret-11&Api%2DKey=secret-12&page_token=plain-3"
    "&SessionID=secret-13&password&client.secret=secret-14&pageToken=plain-4&sig=plain-5"
)
LOGGED_QUERY = (
    "apiKey=***&x=plain-2&access_token=***&Api%2DKey=***&page_token=plain-3"
    "&SessionID=***&password&client.secret=***&pageToken=plain-4&sig=plain-5"
)


@pytest.mark.decision("Secrets in the query log")
def test_the_query_log_masks_secrets_by_name(served: Served) -> None:
    headers = {"Api-Key": served.api_key, **SECRET_HEADERS, **PLAIN_HEADERS}
    response = served.get(DELIVERY_SERVICES + "?" + QUERY, headers=headers)
    assert response.status_code == 200
    log = served.get("/sandbox/requests", headers=SANDBOX, params={"limit": 1})
    assert log.status_code == 200
    [entry] = log.json()["requests"]
    sent = response.request.headers
    secret_names = {name.lower() for name in [*SECRET_HEADERS, "Api-Key"]}
    expected_headers = {
        name: "***" if name in secret_names else value for name, value in sent.items()
    }
    assert (entry["path"], entry["query"], entry["request"]) == (
        DELIVERY_SERVICES,
        LOGGED_QUERY,
        {"headers": expected_headers, "body": "", "bodySize": 0, "bodyTruncated": False},
    )
    for secret in [*SECRET_HEADERS.values(), served.api_key, "secret-1"]:
        assert secret not in log.text
    for n in range(10, 15):
        assert f"secret-{n}" not in log.text


# D13: the client's X-Request-Id -------------------------------------------------------------


NO_ACCESS_CACHE = ["--access-cache-seconds", "0"]  # every call reads the token table
HOSTILE_IDS = [
    "<script>alert(1)</script>",
    "a" * 129,
    "id with spaces",
    "id;drop",
    "../../etc/passwd",
    "\u00fcn\u00efcode",
    "",
]


@pytest.mark.rule("R-071")
@pytest.mark.decision("Request ids")
@pytest.mark.parametrize("kind", DATABASES)
def test_a_500_carries_the_clients_request_id_only_when_it_is_safe(
    tmp_path: Path, kind: str
) -> None:
    with (
        database(kind, tmp_path) as url,
        running_server(
            ["--data-dir", str(tmp_path / "data"), "--database-url", url, *NO_ACCESS_CACHE],
            env={"DBSKIT_SANDBOX_TOKEN": TOKEN, "DBSKIT_STORE_TOKEN": PUSH},
            ready_headers=SANDBOX,
        ) as server,
    ):
        key = re.search(r"demo Api-Key   (\S+)", server.output())
        assert key is not None
        api_key = key.group(1).encode()
        engine = sa.create_engine(normalise_database_url(url))
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE api_tokens RENAME TO api_tokens_gone"))
        engine.dispose()

        def fail(request_id: str) -> httpx.Response:
            headers = {b"Api-Key": api_key, b"X-Request-Id": request_id.encode()}
            response = httpx.get(server.base_url + DELIVERY_SERVICES, headers=headers, timeout=10)
            assert response.status_code == 500
            given = response.headers["x-request-id"]
            assert response.json() == envelope(
                ("INTERNAL_ERROR", f"Internal error; request id {given}")
            )
            return response

        safe = "client-7f3a.retry:2_b" + "x" * 107  # 128 characters of the safe set
        assert fail(safe).headers["x-request-id"] == safe
        generated = []
        for hostile in HOSTILE_IDS:
            given = fail(hostile).headers["x-request-id"]
            assert GENERATED_ID.fullmatch(given), given
            generated.append(given)
        assert len(set(generated)) == len(generated)
        deadline = time.monotonic() + 30  # a hang detector: the log line may lag the answer
        while generated[-1] not in server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        output = server.output()
        for request_id in [safe, *generated]:
            assert f"(request id {request_id})" in output
        for hostile in HOSTILE_IDS[:-1]:
            assert hostile not in output
            assert hostile.encode().decode("latin-1") not in output
