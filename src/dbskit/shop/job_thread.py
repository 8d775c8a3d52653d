"""The store's job worker on a thread and event loop of its own, so that the loop answering
``POST /notification`` only records and queues (docs/decisions.md, "Answers never wait for
jobs").

A job's work (the Market's calls through its own ``AsyncMarketClient``, the vault's writes through
its own ``Database``) holds the loop it runs on: on the answering loop, 200 orders' jobs kept a
PING waiting up to 1.9 s. Here they hold only this thread's loop; the two loops share nothing but
the database's rows, and the answering side wakes the worker across threads when it queues a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from dbskit.shop.worker import Worker

log = logging.getLogger("dbskit.store")

THREAD_NAME = "dbskit-store-jobs"
# Ours: how long the thread waits before trying again to open what its jobs need (the database
# unreachable at start, say).
REOPEN_SECONDS = 5.0

# Opens what the jobs need on the thread's loop and yields their worker; closes it all after.
OpenWorker = Callable[[], AbstractAsyncContextManager[Worker]]


class JobThread:
    """Runs the worker that ``open_worker`` gives, on its own thread and loop, from ``start()``
    until ``stop()``."""

    def __init__(self, open_worker: OpenWorker) -> None:
        self._open_worker = open_worker
        self._lock = threading.Lock()  # guards the fields the two threads share below
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._worker: Worker | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._main(),), name=THREAD_NAME, daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """A job was queued: the worker looks now rather than at its next poll (a job queued
        before the worker is up is found by its first look)."""
        with self._lock:
            loop, worker = self._loop, self._worker
        if loop is not None and worker is not None:
            with contextlib.suppress(RuntimeError):  # its loop has just closed
                loop.call_soon_threadsafe(worker.wake)

    async def stop(self) -> None:
        """Stop the worker (its running jobs go back to the queue) and wait for the thread."""
        thread = self._thread
        if thread is None:
            return
        with self._lock:
            self._stopping = True
            loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        await asyncio.to_thread(thread.join)
        self._thread = None

    async def _main(self) -> None:
        stop = asyncio.Event()
        with self._lock:
            if self._stopping:
                return
            self._loop, self._stop = asyncio.get_running_loop(), stop
        try:
            while not stop.is_set():
                try:
                    async with self._open_worker() as worker:
                        await self._run(worker, stop)
                except Exception:
                    log.exception("the store's job worker could not start; trying again")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), REOPEN_SECONDS)
        finally:
            with self._lock:
                self._loop, self._stop, self._worker = None, None, None

    async def _run(self, worker: Worker, stop: asyncio.Event) -> None:
        worker.start()
        with self._lock:
            self._worker = worker
        try:
            await stop.wait()
        finally:
            with self._lock:
                self._worker = None
            await worker.stop()
