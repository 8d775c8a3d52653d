"""Server processes on free loopback ports: start, time to the first answer, resident memory, stop.

Each server runs in its own process group, so stopping it also stops whatever it spawned
(uvicorn workers, node children) and nothing outlives the run.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
_POLL_INTERVAL = 0.005
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    started_in: float = 0.0
    # CPU seconds spent until the first 200: unlike started_in, barely moved by other load.
    startup_cpu_s: float = 0.0
    ready_path: str = "/"
    ready_headers: Mapping[str, str] = field(default_factory=dict)
    ready_status: int = 200

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def last_output(self, lines: int = 15) -> str:
        return "\n".join(self.output().strip().splitlines()[-lines:])

    def check_alive(self) -> None:
        """Raise ServerFailed, with the end of its output, if the server has exited."""
        if self.process.poll() is not None:
            raise ServerFailed(
                f"{self.name} exited with {self.process.returncode}; its last output:\n"
                + self.last_output(40)
            )

    def rss_mb(self) -> float:
        """Resident memory of the server's process and everything it spawned (VmRSS)."""
        return sum(_rss_kb(pid) for pid in _process_tree(self.process.pid)) / 1024

    def cpu_seconds(self) -> float:
        """User and system CPU time of the server's process tree so far."""
        return sum(_cpu_ticks(pid) for pid in _process_tree(self.process.pid)) / _CLOCK_TICKS

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> int:
        return _status(self.port, path, headers or {})

    def stop(self) -> None:
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # A worker that ignored SIGTERM after its parent exited.
        _signal_group(self.process.pid, signal.SIGKILL)
        self.log_path.unlink(missing_ok=True)


def start(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str],
    ready_path: str,
    ready_headers: Mapping[str, str] | None = None,
    ready_status: int = 200,
    cwd: Path | None = None,
) -> Server:
    """Start ``command`` and wait until a GET of ``ready_path`` answers ``ready_status``;
    ``started_in`` is measured from just before the process is created (interpreter or node
    start-up included)."""
    fd, log_name = tempfile.mkstemp(prefix=f"dbskit-bench-{name}-", suffix=".log")
    started = time.perf_counter()
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(
        name,
        process,
        port,
        Path(log_name),
        ready_path=ready_path,
        ready_headers=ready_headers or {},
        ready_status=ready_status,
    )
    try:
        server.started_in = _wait_until_ready(server, started)
        server.startup_cpu_s = server.cpu_seconds()
    except ServerFailed as exc:
        tail = server.last_output()
        server.stop()
        raise ServerFailed(f"{exc}; its last output:\n{tail}") from None
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_ready(server: Server, started: float) -> float:
    deadline = started + START_TIMEOUT
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(f"{server.name} exited with {server.process.returncode}")
        try:
            if server.get(server.ready_path, server.ready_headers) == server.ready_status:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(_POLL_INTERVAL)
    raise ServerFailed(
        f"{server.name} did not answer {server.ready_status} within {START_TIMEOUT} s"
    )


def _status(port: int, path: str, headers: Mapping[str, str]) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (which is in parentheses and may hold spaces):
    index 0 is the state, 1 the parent pid, 11 and 12 user and system time in clock ticks."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _cpu_ticks(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def _process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
