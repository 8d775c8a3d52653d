"""Loading a scenario file: the clock, then every entry in order, in one write transaction.

Each entry goes through the same transaction-level functions as its /sandbox call (a campaign as
``POST /sandbox/campaigns``, a key as ``POST /sandbox/tokens``, an order as ``POST
/sandbox/campaigns/{id}/orders``, a cancellation request as the buyer-cancellation trigger), so
it is checked and written the same way. Anything refused rolls the whole load back: the clock
included, which is stored in the same transaction and adopted only once it is committed.
Notifications are recorded only with ``notify: true``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dbskit.clock import Clock, ClockBeyondLatest, ClockMovedBackwards
from dbskit.contract.enums import OrderStatus
from dbskit.contract.errors import ApiError, BadRequest, ErrorDetail, Messages, NotFound
from dbskit.contract.operations import Profile
from dbskit.contract.sandbox_access import TokenType
from dbskit.contract.sandbox_scenarios import (
    EntryKind,
    LoadedEntry,
    Scenario,
    ScenarioBusiness,
    ScenarioCampaign,
    ScenarioCancellationRequest,
    ScenarioEntry,
    ScenarioKey,
    ScenarioLoaded,
    ScenarioOrder,
)
from dbskit.database.db import Database, Transaction
from dbskit.market.domain.access import CredentialKind
from dbskit.market.domain.order import Order
from dbskit.market.domain.scenario_files import entry_label
from dbskit.market.domain.status_model import StatusChange
from dbskit.market.domain.test_orders import IdSource, build_test_order
from dbskit.market.services.access import DEFAULT_BUSINESS_NAME, add_campaign, issue_token
from dbskit.market.services.orders import require_order
from dbskit.market.services.sandbox_orders import insert_test_order, make_market_move
from dbskit.market.services.scheduler import Scheduler
from dbskit.market.storage import access as access_store
from dbskit.market.storage.clock import read_clock_state, store_clock_offset
from dbskit.market.storage.status_history import Actor

# a buyer's cancellation is a request, not a cancellation, only in these states.
REQUESTABLE: frozenset[OrderStatus] = frozenset({OrderStatus.DELIVERY, OrderStatus.PICKUP})

_ids = IdSource(random.SystemRandom())


@dataclass(frozen=True, slots=True)
class OrderPlacing:
    """What placing a test order takes besides the request (as the /sandbox route passes it)."""

    retention: timedelta
    profile: Profile
    ids: IdSource = _ids


@dataclass
class _Load:
    """One load in progress: the scenario's now and what each name stands for."""

    now: datetime
    notify: bool
    placing: OrderPlacing
    names: dict[str, LoadedEntry] = field(default_factory=dict)

    def business_of(self, name: str | None, given: int | None) -> int | None:
        return self.names[name].id if name is not None else given

    def run(self, conn: Transaction, entry: ScenarioEntry) -> LoadedEntry:
        body = entry.body(entry.kind)
        if isinstance(body, ScenarioBusiness):
            name = body.name or DEFAULT_BUSINESS_NAME
            business_id = access_store.insert_business(conn, name=name, now=self.now)
            return LoadedEntry(kind=entry.kind, id=business_id, business_id=business_id)
        if isinstance(body, ScenarioCampaign):
            return self._campaign(conn, entry.kind, body)
        if isinstance(body, ScenarioKey):
            return self._key(conn, entry.kind, body)
        if isinstance(body, ScenarioOrder):
            return self._order(conn, entry.kind, body)
        if isinstance(body, ScenarioCancellationRequest):
            return self._cancellation_request(conn, entry.kind, body)
        raise AssertionError(entry.kind)  # ScenarioEntry holds exactly one kind

    def _campaign(self, conn: Transaction, kind: EntryKind, body: ScenarioCampaign) -> LoadedEntry:
        request = body.model_copy(
            update={"business_id": self.business_of(body.business, body.business_id)}
        )
        made = add_campaign(conn, request, now=self.now)
        return LoadedEntry(
            kind=kind,
            id=made.campaign_id,
            business_id=made.business_id,
            campaign_id=made.campaign_id,
        )

    def _key(self, conn: Transaction, kind: EntryKind, body: ScenarioKey) -> LoadedEntry:
        business_id = self.business_of(body.business, body.business_id)
        assert business_id is not None  # ScenarioKey holds one of business and businessId
        if not access_store.lock_business(conn, business_id):
            raise NotFound(Messages.BUSINESS_NOT_FOUND.format(business_id=business_id))
        issued = issue_token(
            conn,
            clock=Clock(wall=lambda: self.now),  # the scenario's now, not yet adopted
            business_id=business_id,
            kind=CredentialKind(body.type.value),
            scopes=frozenset(body.scopes or ()),
        )
        api_key = issued.secret if body.type is TokenType.API_KEY else None
        return LoadedEntry(
            kind=kind,
            id=issued.token_id,
            business_id=business_id,
            token_type=body.type,
            api_key=api_key,
            oauth_token=None if api_key else issued.secret,
        )

    def _order(self, conn: Transaction, kind: EntryKind, body: ScenarioOrder) -> LoadedEntry:
        campaign_id = self.names[body.campaign].id if body.campaign else body.campaign_id
        assert campaign_id is not None  # ScenarioOrder holds one of campaign and campaignId
        placing = self.placing

        def build(order_id: int, item_ids: list[int]) -> Order:
            return build_test_order(
                body,
                campaign_id=campaign_id,
                order_id=order_id,
                item_ids=item_ids,
                now=self.now,
                profile=placing.profile,
                ids=placing.ids,
            )

        order = insert_test_order(
            conn,
            campaign_id=campaign_id,
            item_count=len(body.items),
            build=build,
            now=self.now,
            retention=placing.retention,
            ids=placing.ids,
            notify=self.notify,
        )
        access = access_store.campaign_access(conn, campaign_id)  # found: the order is placed
        return LoadedEntry(
            kind=kind,
            id=order.id,
            business_id=access.business_id if access else None,
            campaign_id=campaign_id,
            order_id=order.id,
            status=order.status,
            substatus=order.substatus,
        )

    def _cancellation_request(
        self, conn: Transaction, kind: EntryKind, body: ScenarioCancellationRequest
    ) -> LoadedEntry:
        placed = self.names[body.order]
        campaign_id, order_id = placed.campaign_id, placed.id
        assert campaign_id is not None  # an order entry names its campaign
        order = require_order(conn, campaign_id=campaign_id, order_id=order_id, for_update=True)
        if order.status not in REQUESTABLE:
            raise BadRequest(
                f"Value of field cancellationRequest.order ({body.order}) names an order in "
                f"{order.status}/{order.substatus}: a buyer asks to cancel (R-102) only an order "
                "in DELIVERY or PICKUP; give the order entry status CANCELLED to cancel it"
            )
        moved = make_market_move(
            conn,
            campaign_id=campaign_id,
            order_id=order_id,
            wanted=StatusChange(status=OrderStatus.CANCELLED, substatus=body.reason),
            now=self.now,
            actor=Actor.BUYER,  # the scenario's buyer asks to cancel
            notify=self.notify,
        ).order
        return LoadedEntry(
            kind=kind,
            id=order_id,
            business_id=placed.business_id,
            campaign_id=campaign_id,
            order_id=order_id,
            status=moved.status,
            substatus=moved.substatus,
            cancel_requested=moved.cancel_requested,
        )


class ScenarioService:
    def __init__(self, *, db: Database, clock: Clock, scheduler: Scheduler) -> None:
        self._db = db
        self._clock = clock
        self._scheduler = scheduler

    async def load(self, scenario: Scenario, *, placing: OrderPlacing) -> ScenarioLoaded:
        """The scenario in one transaction; then, when it moved the clock, this instance adopts
        the new offset and runs the events that fell due, as ``POST /sandbox/clock`` does."""

        def work(conn: Transaction) -> tuple[timedelta | None, ScenarioLoaded]:
            offset, now = self._move_clock(conn, scenario)
            load = _Load(now=now, notify=scenario.notify, placing=placing)
            for index, entry in enumerate(scenario.entries):
                try:
                    load.names[entry.name] = load.run(conn, entry)
                except ApiError as error:
                    raise _naming_entry(error, index, entry.name) from None
            return offset, ScenarioLoaded(now=now, notify=scenario.notify, names=load.names)

        offset, loaded = await self._db.run_write(work)
        if offset is not None:
            self._clock.adopt(offset)
            await self._scheduler.run_due(self._clock.now())
        return loaded

    def _move_clock(
        self, conn: Transaction, scenario: Scenario
    ) -> tuple[timedelta | None, datetime]:
        """The offset to store (None: the clock stays) and the scenario's now."""
        change = scenario.clock
        if change is None:
            return None, self._clock.now()
        offset_now, resets = read_clock_state(conn)
        self._clock.adopt(offset_now, resets=resets)  # another instance's moves, forward only
        advance = (
            None if change.advance_seconds is None else timedelta(seconds=change.advance_seconds)
        )
        try:
            offset = self._clock.offset_for(advance=advance, to=change.now)
        except (ClockMovedBackwards, ClockBeyondLatest) as exc:
            raise BadRequest(f"Field clock: {exc}") from None
        store_clock_offset(conn, offset)
        if change.now is not None:
            return offset, change.now.astimezone(UTC)  # as the clock gives it: in UTC
        return offset, self._clock.wall() + offset


def _naming_entry(error: ApiError, index: int, name: str) -> ApiError:
    """The same refusal (status and codes), each message led by the entry it concerns."""
    label = entry_label(index, name)
    error.errors = [
        ErrorDetail(detail.code, f"{label}: {detail.message}") for detail in error.errors
    ]
    return error
