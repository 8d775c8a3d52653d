"""How fast the checker goes: calls in flight, and how often a long run reports its progress."""

from __future__ import annotations

# Calls in flight at once. The Market calls a store for many buyers at the same time, so a store
# must take a few calls together; four cut a store that never answers from 14 x 5.5 s
# to 4 x 5.5 s. One plays a call at a time.
DEFAULT_CONCURRENCY = 4
# How often a run that lasts reports its progress: the first report comes well before the first
# call can time out (5.5 s, R-037), and a run that ends sooner reports nothing.
PROGRESS_EVERY = 2.0  # seconds
