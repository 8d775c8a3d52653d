"""Running wrk with benchmarks/bench.lua and reading its summary."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.calls import SEQUENCE_DIGITS, Call, Variant

LUA_SCRIPT = Path(__file__).with_name("bench.lua")
MAX_THREADS = 2  # the generator shares the machine's cores with the server under test
REQUIRED_SHARE = 0.999  # a run counts only if this share of answers has the expected status
_MARKER = "BENCH_RESULT "
# Each wrk run numbers its requests from its own start, so that a warm-up and the measured run on
# the same orders never send the same payload twice.
_SEQUENCE_SPAN = 10**9
_runs = itertools.count(1)


class LoadGeneratorMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadResult:
    connections: int
    seconds: float
    requests: int
    socket_errors: int
    statuses: dict[str, int]
    expected_status: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    # CPU time the server process tree used during the run (set by the caller). Unlike req/s it
    # hardly depends on what else runs on the machine.
    server_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu_s / self.requests * 1e6 if self.requests else 0.0

    @property
    def expected_share(self) -> float:
        answered = self.requests + self.socket_errors
        good = self.statuses.get(str(self.expected_status), 0)
        return good / answered if answered else 0.0

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.expected_share >= REQUIRED_SHARE

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = asdict(self)
        data.update(
            rps=round(self.rps, 1),
            cpu_us_per_request=round(self.cpu_us_per_request, 1),
            expected_share=round(self.expected_share, 5),
            valid=self.valid,
        )
        return data


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadGeneratorMissing("wrk is not installed (Debian: apt-get install wrk)")
    return path


def threads_for(connections: int) -> int:
    """wrk gives each thread connections // threads connections: keep every one of them."""
    return max(t for t in range(1, MAX_THREADS + 1) if connections % t == 0)


def run_wrk(
    base_url: str,
    call: Call,
    *,
    connections: int,
    duration: float,
    variants: Sequence[Variant] = (),
) -> LoadResult:
    """Load ``base_url`` with ``call`` (or its ``variants``, cycled) for ``duration`` seconds over
    ``connections`` connections."""
    threads = threads_for(connections)
    with tempfile.TemporaryDirectory(prefix="dbskit-bench-") as tmp:
        request_file = Path(tmp) / "request"
        request_file.write_text(_request_text(call), encoding="utf-8")
        variants_file = ""
        if variants:
            if call.token_header is None and any(v.token for v in variants):
                raise ValueError("variants with tokens but the call names no token_header")
            variants_file = str(Path(tmp) / "variants")
            lines = "".join(variant.line() + "\n" for variant in variants)
            Path(variants_file).write_text(lines, encoding="utf-8")
        sequence_start = next(_runs) * _SEQUENCE_SPAN
        if sequence_start >= 10**SEQUENCE_DIGITS:
            raise RuntimeError("too many wrk runs in one process for unique sequence numbers")
        command = [
            wrk_path(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA_SCRIPT),
            base_url,
            "--",
            str(request_file),
            variants_file,
            call.token_header or "",
            str(threads),
            str(sequence_start),
        ]
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    return _parse(finished, connections=connections, expected_status=call.expected_status)


def _request_text(call: Call) -> str:
    for text in (call.method, call.path, *call.headers, *call.headers.values()):
        if "\n" in text or "\r" in text:
            raise ValueError(f"line break in the request line or a header: {text!r}")
    head = [f"{call.method} {call.path}", *(f"{k}: {v}" for k, v in call.headers.items())]
    return "\n".join(head) + "\n\n" + call.body


def _parse(
    finished: subprocess.CompletedProcess[str], *, connections: int, expected_status: int
) -> LoadResult:
    line = next(
        (ln for ln in finished.stdout.splitlines() if ln.startswith(_MARKER)),
        None,
    )
    if finished.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed (exit {finished.returncode}): {finished.stderr.strip() or finished.stdout}"
        )
    data = json.loads(line[len(_MARKER) :])
    errors = data["errors"]
    latency = data["latency_us"]
    return LoadResult(
        connections=connections,
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        statuses=dict(sorted(data["statuses"].items())),
        expected_status=expected_status,
        p50_ms=latency["p50"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
    )
