"""The README's shell examples run as written, against a live ``dbskit serve``.

Every ```sh (or ```bash) block of README.md runs with bash, in the README's order, from a
directory whose ``.dbskit`` is the server's data dir and whose ``examples`` is the repository's,
with ``dbskit`` on the PATH; it must exit 0.
A block that cannot run here carries ``<!-- readme-test: skip (reason) -->`` on the line before
it (CONTRIBUTING.md): it is reported as skipped with that reason (``-ra`` lists them).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.server import dbskit_env, free_port, stop, wait_for_200

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPOSITORY = Path(__file__).resolve().parents[2]
README = REPOSITORY / "README.md"
README_PORT = 8484  # the port the README's examples call (dbskit serve's default)
SKIP_MARK = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<reason>[^)]*)\)\s*-->")
FENCE = re.compile(r"```(?P<language>[\w-]*)\s*$")
SHELL_LANGUAGES = frozenset({"sh", "bash", "shell"})
BLOCK_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    code: str
    skip_reason: str | None


def shell_blocks(text: str) -> list[Block]:
    """The shell blocks of a Markdown text, each with the skip mark of the line before it."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index].strip())
        if fence is None:
            index += 1
            continue
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index])
            index += 1
        index += 1
        if fence["language"] not in SHELL_LANGUAGES:
            continue
        previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
        mark = SKIP_MARK.search(previous)
        blocks.append(
            Block(start + 1, "\n".join(body) + "\n", mark["reason"].strip() if mark else None)
        )
    return blocks


BLOCKS = shell_blocks(README.read_text(encoding="utf-8"))


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class Live:
    workdir: Path
    port: int
    env: dict[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One server for every block: on the README's port when it is free, else on another (the
    blocks' URLs are then rewritten)."""
    workdir = tmp_path_factory.mktemp("readme")
    data_dir = workdir / ".dbskit"
    data_dir.mkdir()
    # The examples run from the clone: its example files are where they say.
    (workdir / "examples").symlink_to(REPOSITORY / "examples", target_is_directory=True)
    token = "readme-sandbox-token"
    (data_dir / "sandbox-token").write_text(token + "\n")
    port = README_PORT if _port_is_free(README_PORT) else free_port()
    bin_dir = str(Path(sys.executable).parent)  # the environment's ``dbskit`` command
    env = dbskit_env()
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    log = workdir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dbskit", "serve", "--port", str(port)],
            env=dbskit_env(),
            cwd=workdir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_200(base_url + "/sandbox/clock", headers={"Sandbox-Token": token})
        yield Live(workdir, port, env)
    finally:
        stop(process)


def _as_run(code: str, port: int) -> str:
    """The block with the live server's address, failing at its first failing command."""
    if port != README_PORT:
        code = code.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")
    return "set -e\n" + code


@pytest.mark.decision("README examples")
@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{block.line}" for block in BLOCKS])
def test_readme_block_runs(live: Live, block: Block) -> None:
    if block.skip_reason is not None:
        pytest.skip(f"README.md:{block.line}: {block.skip_reason}")
    bash = shutil.which("bash")
    assert bash is not None, "the README's examples need bash"
    result = subprocess.run(
        [bash, "-c", _as_run(block.code, live.port)],
        cwd=live.workdir,
        env=live.env,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"README.md:{block.line} exited {result.returncode}\n{block.code}\n"
        f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    )


@pytest.mark.decision("README examples")
def test_skip_marks_are_read() -> None:
    text = (
        "<!-- readme-test: skip (starts a server) -->\n```sh\ndbskit serve\n```\n\n"
        "```sh\necho ok\n```\n```python\nprint()\n```\n"
    )
    blocks = shell_blocks(text)
    assert [(block.line, block.skip_reason) for block in blocks] == [
        (2, "starts a server"),
        (6, None),
    ]
