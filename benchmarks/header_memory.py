"""Memory of a server fed requests whose headers sit just under the 16 KB limit.

``python -m benchmarks.header_memory [--requests 1000]``

Starts ``dbskit serve`` on a fresh data dir, reads its resident memory after a warm-up of plain
calls, sends the requests (each a Partner API call with 15 headers of 1,000 bytes: 15 KB of
header section, under the 16 KB limit, all of it kept by the query log), lets the query log's
writer catch up, and reads it again. The difference is the figure of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.servers import HOST
from benchmarks.targets import start_dbskit

_HEADERS = 15
_HEADER_BYTES = 1000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.header_memory")
    parser.add_argument("--requests", type=int, default=1000, help="requests (1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        server = start_dbskit(data_dir=data_dir, sandbox_token=secrets.token_urlsafe(16), workers=1)
        try:
            base = f"http://{HOST}:{server.port}"
            key = (data_dir / "demo-api-key").read_text(encoding="utf-8").strip()
            padding = {f"X-Pad-{n}": "p" * _HEADER_BYTES for n in range(_HEADERS)}
            with httpx.Client(base_url=base, timeout=30) as http:
                for _ in range(50):
                    http.get("/v2/delivery/services", headers={"Api-Key": key})
                time.sleep(1)
                idle = server.rss_mb()
                for _ in range(args.requests):
                    answer = http.get("/v2/delivery/services", headers={"Api-Key": key, **padding})
                    assert answer.status_code == 200, answer.text
                time.sleep(1)  # the query log's writer empties its queue
                after = server.rss_mb()
            print(
                f"{args.requests} requests with {_HEADERS * _HEADER_BYTES} bytes of headers: "
                f"RSS {idle:.1f} MB idle, {after:.1f} MB after ({after - idle:+.1f} MB)"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
