"""The bare PostgreSQL reference: the bare route plus a write method's round trips, nothing else.

``POST /write`` runs the transaction shape of dbskit's write methods on PostgreSQL, with the
cheapest client found for it and none of dbskit's work (validation, access, limits, the query
log, the rules): ``BEGIN`` with a locking select of one row, then an UPDATE of that row and an
INSERT of a log row with ``COMMIT`` — two round trips, the fewest a write that decides on what
it locked can take. Rows are taken in turn from a pool, as the workloads take fresh orders. Its
throughput is what a server of this shape reaches on the machine, before any work of its own.

The transactions run on psycopg's blocking connections in ``THREADS`` worker threads. At 16
connections that did more than psycopg's asynchronous connections on the event loop (3,130 and
2,290 against 2,290 and 1,540 req/s in two runs) and more than 1, 2, 8 or 16 threads.

It reads the server's address from ``DBSKIT_BENCH_POSTGRES_URL`` and creates its two tables
(``bench_rows``, ``bench_log``) in that database.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

URL_VARIABLE = "DBSKIT_BENCH_POSTGRES_URL"
ROWS = 4096  # rows written in turn: a call rarely waits for another's lock, as with fresh orders
THREADS = 4

_CREATE = f"""
CREATE TABLE IF NOT EXISTS bench_rows (
    id BIGINT PRIMARY KEY, status TEXT NOT NULL, track TEXT, updated_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS bench_log (
    id BIGSERIAL PRIMARY KEY, row_id BIGINT NOT NULL, body TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
INSERT INTO bench_rows
    SELECT n, 'PROCESSING', NULL, now() FROM generate_series(1, {ROWS}) AS n
    ON CONFLICT (id) DO NOTHING
"""
_LOCK = "BEGIN; SELECT status FROM bench_rows WHERE id = %(id)s FOR UPDATE"
_WRITE = (
    "UPDATE bench_rows SET track = %(track)s, updated_at = now() WHERE id = %(id)s;"
    " INSERT INTO bench_log (row_id, body, at) VALUES (%(id)s, %(body)s, now()); COMMIT"
)


class _Writer:
    def __init__(self, url: str) -> None:
        self.url = url
        self.idle: queue.SimpleQueue[psycopg.Connection[Any]] = queue.SimpleQueue()
        self.opened: list[psycopg.Connection[Any]] = []
        self.rows = itertools.cycle(range(1, ROWS + 1))
        self.threads = ThreadPoolExecutor(THREADS, thread_name_prefix="bare-pg")

    def open(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(_CREATE)
        for _ in range(THREADS):
            # BEGIN and COMMIT are sent with the statements: two round trips a write.
            conn = psycopg.connect(self.url, autocommit=True)
            self.opened.append(conn)
            self.idle.put(conn)

    def close(self) -> None:
        self.threads.shutdown()
        for conn in self.opened:
            conn.close()

    async def write(self, body: str) -> None:
        row = next(self.rows)
        await asyncio.get_running_loop().run_in_executor(self.threads, self._write, row, body)

    def _write(self, row: int, body: str) -> None:
        conn = self.idle.get()
        try:
            cursor = psycopg.ClientCursor(conn)
            cursor.execute(_LOCK, {"id": row})
            cursor.nextset()  # past BEGIN's result, to the select's
            cursor.fetchone()  # what a method would decide on
            cursor.execute(_WRITE, {"id": row, "track": f"T{row}", "body": body})
        finally:
            self.idle.put(conn)


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    writer = _Writer(os.environ[URL_VARIABLE])
    writer.open()
    app.state.writer = writer
    try:
        yield
    finally:
        writer.close()


async def write(request: Request) -> JSONResponse:
    body = (await request.body()).decode()
    await request.app.state.writer.write(body)
    return JSONResponse({"status": "OK"})


app = Starlette(routes=[Route("/write", write, methods=["POST"])], lifespan=_lifespan)
