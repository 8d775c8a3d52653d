"""SIGHUP reloads the store data, as daemons conventionally do."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from dbskit.shop.service import StoreService
from dbskit.store_data.loaders import StoreDataError

log = logging.getLogger("dbskit.store")


def install_sighup(service: StoreService) -> Callable[[], None]:
    """Reload on SIGHUP (on the running loop); returns the function that uninstalls it."""
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[None]] = set()

    def on_hangup() -> None:
        task = loop.create_task(_reload(service))
        running.add(task)
        task.add_done_callback(running.discard)

    loop.add_signal_handler(signal.SIGHUP, on_hangup)

    def uninstall() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return uninstall


async def _reload(service: StoreService) -> None:
    try:
        await service.reload_in_background()
    except StoreDataError as exc:
        log.error("store data not reloaded; the previous data stay in use:\n%s", exc)
