"""The serving process's collector: start-up frozen, young objects collected less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dbskit import collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_settle_after_start_freezes_the_heap_and_spaces_out_collections() -> None:
    gc.unfreeze()
    built_at_start = [[n] for n in range(10)]  # containers alive when the server starts
    collector.settle_after_start()
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, *collector.OLDER_THRESHOLDS)
    assert gc.get_freeze_count() >= len(built_at_start)
    # Frozen objects are no longer among those the collector walks.
    walked = {id(obj) for obj in gc.get_objects()}
    assert not walked & {id(obj) for obj in built_at_start}
