"""The job thread's units of work on SQLite: its reads on its own connections, its writes made by
the answering loop's ``Database``.

SQLite has one writer at a time. With the answering loop and the job thread each writing through
a ``Database`` of their own, the two connections took the write lock from each other: the loser's
writes went to its writer thread and waited in SQLite's busy handler, and a new ORDER_CREATED's
answer at 16 connections went from 24 ms at p99 (no jobs) to 300 ms (jobs that only wait).
Handed to the answering loop, the jobs' writes join its batches: one connection writes, and
nothing waits for the lock within the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from dbskit.database.db import Database, Transaction

T = TypeVar("T")


class WritesOnLoop:
    """``run_read`` on ``reads``; ``run_write`` by ``writes`` on ``loop``, the loop that owns
    ``writes``' connections. A write cancelled here still ends (committed or rolled back) on
    ``loop`` before the cancellation is seen, as ``Database.run_write`` does."""

    def __init__(self, reads: Database, writes: Database, loop: asyncio.AbstractEventLoop) -> None:
        self._reads = reads
        self._writes = writes
        self._loop = loop

    async def run_read(self, work: Callable[[Transaction], T], *, short: bool = False) -> T:
        return await self._reads.run_read(work, short=short)

    async def run_write(self, work: Callable[[Transaction], T], *, short: bool = False) -> T:
        future = asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(self._writes.run_write(work, short=short), self._loop)
        )
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            await asyncio.wait([future])
            raise
