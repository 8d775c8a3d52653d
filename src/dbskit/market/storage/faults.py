"""The sandbox's fault rules (``fault_rules``): added, listed, deleted, and each matched call
counted by one conditional update, so that "the next n" and "every nth" stay exact when calls
arrive together on several instances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, bindparam, case, delete, func, insert, select, text, update

from dbskit.contract.sandbox_faults import FaultKind, FaultMode, FaultRuleView
from dbskit.database.db import Transaction
from dbskit.market.domain.faults import FaultRule
from dbskit.market.storage.tables import api_tokens, fault_rules

_t = fault_rules.c

_ALL = select(fault_rules).order_by(_t.id)
_COUNT = select(func.count()).select_from(fault_rules)
_TOKEN = select(api_tokens.c.id).where(api_tokens.c.id == bindparam("token_id"))
_DELETE_ONE = delete(fault_rules).where(_t.id == bindparam("rule_id"))
_DELETE_ALL = delete(fault_rules)

# One matched call: its number (``calls`` after it) is returned, and ``injected`` grows in the same
# statement when the mode's rule says the call is faulted (a share's draw is made in Python: see
# ``count_injected``). SET reads the row's values from before the update on both databases.
_INJECTS_NOW = case(
    (_t.mode == FaultMode.NEXT.value, case((_t.calls < _t.n, 1), else_=0)),
    (_t.mode == FaultMode.EVERY.value, case(((_t.calls + 1) % _t.n == 0, 1), else_=0)),
    else_=0,
)
_COUNT_CALL = (
    update(fault_rules)
    .where(_t.id == bindparam("rule_id"))
    .values(calls=_t.calls + 1, injected=_t.injected + _INJECTS_NOW)
    .returning(_t.calls)
)
_COUNT_INJECTED = (
    update(fault_rules).where(_t.id == bindparam("rule_id")).values(injected=_t.injected + 1)
)


@dataclass(frozen=True, slots=True)
class NewFaultRule:
    operation_id: str
    campaign_id: int | None
    token_id: int | None
    fault: FaultKind
    latency_ms: int | None
    mode: FaultMode
    n: int | None
    share: float | None
    seed: int | None


def lock_rules(conn: Transaction) -> None:
    """Make the transaction the only writer of rules (SQLite's write transactions are already):
    the count that caps the rules is then the count the insert adds to."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE fault_rules IN SHARE ROW EXCLUSIVE MODE"))


def count_rules(conn: Transaction) -> int:
    return int(conn.execute(_COUNT).scalar_one())


def token_exists(conn: Transaction, token_id: int) -> bool:
    return conn.execute(_TOKEN, {"token_id": token_id}).first() is not None


def insert_rule(conn: Transaction, rule: NewFaultRule, *, now: datetime) -> int:
    result = conn.execute(
        insert(fault_rules).values(
            operation_id=rule.operation_id,
            campaign_id=rule.campaign_id,
            token_id=rule.token_id,
            fault=rule.fault.value,
            latency_ms=rule.latency_ms,
            mode=rule.mode.value,
            n=rule.n,
            share=rule.share,
            seed=rule.seed,
            created_at=now,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def all_rules(conn: Transaction) -> list[FaultRule]:
    """Every rule, oldest first: the order in which a call tries them."""
    return [_rule(row) for row in conn.execute(_ALL)]


def rule_views(conn: Transaction) -> list[FaultRuleView]:
    """Every rule as listed, with its counts, oldest first."""
    return [_view(row) for row in conn.execute(_ALL)]


def rule_view(conn: Transaction, rule_id: int) -> FaultRuleView | None:
    row = conn.execute(select(fault_rules).where(_t.id == rule_id)).first()
    return None if row is None else _view(row)


def delete_rule(conn: Transaction, rule_id: int) -> int:
    return int(conn.execute(_DELETE_ONE, {"rule_id": rule_id}).rowcount)


def delete_rules(conn: Transaction) -> int:
    return int(conn.execute(_DELETE_ALL).rowcount)


def count_call(conn: Transaction, rule_id: int) -> int | None:
    """Count one matched call of the rule; its number (from 1), or None when the rule is gone."""
    number = conn.execute(_COUNT_CALL, {"rule_id": rule_id}).scalar()
    return None if number is None else int(number)


def count_injected(conn: Transaction, rule_id: int) -> None:
    """Count a share's faulted call (``NEXT`` and ``EVERY`` count theirs in ``count_call``)."""
    conn.execute(_COUNT_INJECTED, {"rule_id": rule_id})


def _rule(row: Row[tuple[object, ...]]) -> FaultRule:
    return FaultRule(
        id=row.id,
        operation_id=row.operation_id,
        campaign_id=row.campaign_id,
        token_id=row.token_id,
        fault=FaultKind(row.fault),
        latency_ms=row.latency_ms,
        mode=FaultMode(row.mode),
        n=row.n,
        share=row.share,
        seed=row.seed,
    )


def _view(row: Row[tuple[object, ...]]) -> FaultRuleView:
    mode = FaultMode(row.mode)
    return FaultRuleView(
        id=row.id,
        operation_id=row.operation_id,
        campaign_id=row.campaign_id,
        token_id=row.token_id,
        fault=FaultKind(row.fault),
        latency_ms=row.latency_ms,
        next=row.n if mode is FaultMode.NEXT else None,
        every=row.n if mode is FaultMode.EVERY else None,
        share=row.share,
        seed=row.seed,
        calls=row.calls,
        injected=row.injected,
        created_at=row.created_at,
    )
