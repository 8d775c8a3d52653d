"""The sandbox's fault rules: kept in the database, so every instance applies them, and known to
each instance from memory, so a call costs nothing while no rule exists.

Each instance holds the rules as last read: at start, after every change made through it, and
every ``--clock-refresh-seconds`` with the shared clock (``Runtime``), so a rule added through
another instance applies here within that interval. Memory only says which rules may match a
call; whether the call is faulted is decided by counting it in the database (one conditional
update per matching rule), so a rule deleted elsewhere faults nothing more, and "the next n" and
"every nth" are exact across instances.
"""

from __future__ import annotations

import secrets

from dbskit.clock import Clock
from dbskit.contract.errors import BadRequest, Messages, NotFound
from dbskit.contract.sandbox_faults import (
    FAULT_RULES_MAX,
    FAULT_SEED_MAX,
    FaultMode,
    FaultRuleCreate,
    FaultRuleList,
    FaultRulesCleared,
    FaultRuleView,
    FaultsMessages,
)
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.faults import FaultRule
from dbskit.market.storage import faults as store
from dbskit.market.storage.access import campaign_access


class FaultService:
    def __init__(self, *, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._rules: tuple[FaultRule, ...] = ()
        # Bumped by each change made here, so a read that started before it installs nothing.
        self._generation = 0

    @property
    def active(self) -> bool:
        """Whether any rule is known here (the one check a call pays while there is none)."""
        return bool(self._rules)

    def matching(
        self, *, operation_id: str, campaign_id: int | None, token_id: int
    ) -> list[FaultRule]:
        """The rules that may fault this call, oldest first."""
        return [
            rule
            for rule in self._rules
            if rule.matches(operation_id=operation_id, campaign_id=campaign_id, token_id=token_id)
        ]

    def load(self) -> None:
        """Read the rules (at start-up, before serving)."""
        with self._db.read() as conn:
            self._rules = tuple(store.all_rules(conn))

    async def refresh(self) -> None:
        """Read the rules again: those added or deleted through other instances."""
        generation = self._generation
        rules = await self._db.run_read(store.all_rules)
        if generation == self._generation:
            self._rules = tuple(rules)

    async def forget(self) -> None:
        """The rules changed here (a reset, a deletion): read them again now."""
        self._generation += 1
        await self.refresh()

    async def add(self, request: FaultRuleCreate) -> FaultRuleView:
        """A new rule; a share without a seed gets a random one, shown in the listing."""
        mode = request.mode
        seed = request.seed
        if mode is FaultMode.SHARE and seed is None:
            seed = secrets.randbelow(FAULT_SEED_MAX + 1)
        rule = store.NewFaultRule(
            operation_id=request.operation_id,
            campaign_id=request.campaign_id,
            token_id=request.token_id,
            fault=request.fault,
            latency_ms=request.latency_ms,
            mode=mode,
            n=request.next if mode is FaultMode.NEXT else request.every,
            share=request.share,
            seed=seed,
        )
        now = self._clock.now()

        def work(conn: Transaction) -> FaultRuleView:
            if rule.campaign_id is not None and campaign_access(conn, rule.campaign_id) is None:
                raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=rule.campaign_id))
            if rule.token_id is not None and not store.token_exists(conn, rule.token_id):
                raise NotFound(Messages.TOKEN_NOT_FOUND)
            store.lock_rules(conn)
            if store.count_rules(conn) >= FAULT_RULES_MAX:
                raise BadRequest(FaultsMessages.TOO_MANY_RULES.format(limit=FAULT_RULES_MAX))
            view = store.rule_view(conn, store.insert_rule(conn, rule, now=now))
            assert view is not None
            return view

        view = await self._db.run_write(work)
        await self.forget()
        return view

    async def listing(self) -> FaultRuleList:
        return FaultRuleList(rules=await self._db.run_read(store.rule_views))

    async def clear(self, rule_id: int | None = None) -> FaultRulesCleared:
        """Delete every rule, or the one given (404 when there is no such rule)."""
        if rule_id is None:
            deleted = await self._db.run_write(store.delete_rules)
        else:
            deleted = await self._db.run_write(lambda conn: store.delete_rule(conn, rule_id))
            if not deleted:
                raise NotFound(FaultsMessages.RULE_NOT_FOUND.format(rule_id=rule_id))
        await self.forget()
        return FaultRulesCleared(deleted=deleted)

    async def fire(self, rules: list[FaultRule]) -> FaultRule | None:
        """Count the call against each of ``rules`` in turn; the first that faults it, if any
        (later rules do not count the call)."""

        def work(conn: Transaction) -> FaultRule | None:
            for rule in rules:
                number = store.count_call(conn, rule.id)
                if number is None or not rule.faults(number):
                    continue  # deleted meanwhile, or this call is not one it faults
                if rule.mode is FaultMode.SHARE:
                    store.count_injected(conn, rule.id)
                return rule
            return None

        return await self._db.run_write(work, short=True)
