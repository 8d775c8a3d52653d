"""Secrets in the data dir: owner-only, and never seen half written."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from dbskit.private_files import read_private, write_private


def test_a_secret_is_readable_by_its_owner_only_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "sandbox-token"
    write_private(path, "first\n")
    write_private(path, "second\n")
    assert read_private(path) == "second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [entry.name for entry in path.parent.iterdir()] == ["sandbox-token"]


def test_a_reader_never_finds_a_secret_half_written(tmp_path: Path) -> None:
    path = tmp_path / "sandbox-token"
    write_private(path, "token-0\n")
    seen: list[str | None] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            seen.append(read_private(path))

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        for number in range(1, 300):
            write_private(path, f"token-{number}\n")
    finally:
        done.set()
        reader.join()
    assert seen
    assert all(value is not None and value.startswith("token-") for value in seen)
