"""Sandbox fault rules as data: which calls a rule matches and which of them it faults.

A rule names an operation and, optionally, the campaign or the token of the calls it matches.
Of the matched calls it faults the next ``n`` (``NEXT``), every ``n``th (``EVERY``), or those
whose seeded draw falls under ``share`` (``SHARE``). The number of a matched call is counted
in the database, one conditional update per call, so the count is exact however many instances
serve the calls; the draw is a pure function of the seed and that number, so a run with the same
seed and the same calls faults the same ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from dbskit.contract.sandbox_faults import FaultKind, FaultMode

_DRAW_BYTES = 8
_DRAW_SPAN = float(2 ** (8 * _DRAW_BYTES))


@dataclass(frozen=True, slots=True)
class FaultRule:
    id: int
    operation_id: str
    campaign_id: int | None
    token_id: int | None
    fault: FaultKind
    latency_ms: int | None
    mode: FaultMode
    n: int | None
    share: float | None
    seed: int | None

    def matches(self, *, operation_id: str, campaign_id: int | None, token_id: int) -> bool:
        """Whether a call to ``operation_id`` on ``campaign_id`` with ``token_id`` is one of
        this rule's."""
        return (
            self.operation_id == operation_id
            and (self.campaign_id is None or self.campaign_id == campaign_id)
            and (self.token_id is None or self.token_id == token_id)
        )

    def faults(self, number: int) -> bool:
        """Whether the ``number``th matched call (from 1) is faulted."""
        if self.mode is FaultMode.NEXT:
            return self.n is not None and number <= self.n
        if self.mode is FaultMode.EVERY:
            return self.n is not None and number % self.n == 0
        return self.share is not None and share_draw(self.seed or 0, number) < self.share


def share_draw(seed: int, number: int) -> float:
    """A number in [0, 1) for the ``number``th matched call of a rule seeded ``seed``: the same
    on every instance, in every process, for every run."""
    digest = hashlib.blake2b(
        f"{seed}:{number}".encode(), digest_size=_DRAW_BYTES, person=b"dbskit-faults"
    ).digest()
    return int.from_bytes(digest, "big") / _DRAW_SPAN
