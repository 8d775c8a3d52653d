"""A throwaway Redis for the tests of shared limits: ``redis-server`` started on a free port.

CI installs redis-server (.ci/run). Where it is missing, the tests that need it skip and say so.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from tests.e2e.server import free_port, stop


@contextmanager
def running_redis() -> Iterator[str]:
    """Start ``redis-server`` without persistence; yield its URL; stop it afterwards."""
    with running_redis_process() as (url, _process):
        yield url


@contextmanager
def running_redis_process() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``running_redis``, with the server's process (a test may stop it with SIGSTOP)."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip(
            "redis-server is not on PATH: limits shared through Redis are not tested "
            "(install it, e.g. apt-get install redis-server)"
        )
    port = free_port()
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_ping(url)
        yield url, process
    finally:
        stop(process)


def _wait_for_ping(url: str, timeout: float = 10.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.02)
    finally:
        client.close()
