"""The garbage collector of a serving process.

CPython collects its youngest objects every 700 net allocations of container objects. A server
answering 64 calls at once keeps each call's objects (scope, headers, task, models) alive across
turns of the loop, so those collections came every few calls, found the calls in flight alive,
and promoted them into the older generations, which were then collected in full over and over:
about a tenth of the server's CPU under load and pauses of 10–25 ms (measured with the write
methods at 64 connections). Started, the server freezes what it has loaded and collects its
young objects less often; cycles are still collected, just in larger batches.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 10_000  # net container allocations between young collections
OLDER_THRESHOLDS: Final = (20, 20)  # collections of the generation below between older ones


def settle_after_start() -> None:
    """Move what start-up built out of the collector's sight and space out its collections."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
