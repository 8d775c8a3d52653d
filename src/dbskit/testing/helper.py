"""What the ``dbskit`` fixture hands a test: its own campaign and Api-Key on the session's server,
and the sandbox's levers (orders, the clock, the outbox, the query log, faults, triggers).

Orders are the contract's ``OrderDTO`` (``dbskit.contract.orders``), as the Partner API shows
them; the control plane's own documents are its JSON objects, as docs/decisions.md describes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from dbskit.contract import limits
from dbskit.contract.operations import OPERATIONS_BY_ID
from dbskit.contract.orders import GetOrderResponse, OrderDTO
from dbskit.testing.control import Json, SandboxCallError, SandboxControl, Scenario

if TYPE_CHECKING:
    from dbskit.client import AsyncMarketClient, MarketClient

# A test order's line when the test names none (a test order needs no offer of the store's data).
DEFAULT_ITEM: Final[Json] = {"offerId": "sku-1", "count": 1, "price": 100}
DEFAULT_DELIVERY_TYPE: Final = "DELIVERY"
QUERY_LOG_PAGE_MAX: Final = limits.QUERY_LOG_PAGE_LIMIT_MAX  # the fewest pages to walk


class SandboxClock:
    """The sandbox clock (docs/decisions.md, "The sandbox clock"): it only moves forward, and a
    move runs every scheduled event that falls due before it returns."""

    def __init__(self, control: SandboxControl) -> None:
        self._control = control

    def now(self) -> datetime:
        return datetime.fromisoformat(self._control.clock()["now"])

    def advance(self, seconds: float) -> Json:
        """Forward by ``seconds``: ``{"now", "eventsRun", "eventsRemaining"}``."""
        return self._control.move_clock(advance_seconds=seconds)

    def move_to(self, moment: datetime) -> Json:
        """Forward to ``moment`` (an aware datetime); a moment in the past is refused (400)."""
        return self._control.move_clock(to=moment.isoformat())


class DbskitHelper:
    """One test's campaign on the session's dbskit server.

    ``campaign_id``, ``business_id`` and ``api_key`` (every scope, ``token_id`` its id) were made
    for this test; ``client`` is a ``MarketClient`` with that key on the server. The methods act on
    this campaign; ``control`` reaches the whole control plane.
    """

    def __init__(self, server_url: str, control: SandboxControl) -> None:
        self.base_url = server_url
        self.control = control
        self.clock = SandboxClock(control)
        made = control.create_campaign()
        self.business_id: int = int(made["businessId"])
        self.campaign_id: int = int(made["campaignId"])
        issued = control.issue_api_key(self.business_id)
        self.api_key: str = str(issued["apiKey"])
        self.token_id: int = int(issued["tokenId"])
        self._client: MarketClient | None = None
        self._fault_rule_ids: list[int] = []

    # The Partner API, as the seller's code calls it.

    @property
    def client(self) -> MarketClient:
        """A ``MarketClient`` with this test's Api-Key, made on first use, closed after the test."""
        if self._client is None:
            from dbskit.client import MarketClient

            self._client = MarketClient(api_key=self.api_key, base_url=self.base_url)
        return self._client

    def async_client(self, **options: Any) -> AsyncMarketClient:
        """A new ``AsyncMarketClient`` with this test's key (``options`` as the client takes
        them); the test closes it (``async with``), since it lives on the test's event loop."""
        from dbskit.client import AsyncMarketClient

        return AsyncMarketClient(api_key=self.api_key, base_url=self.base_url, **options)

    # Test orders (docs/decisions.md, "Test orders: what the sandbox fills in (R-107)").

    def create_order(
        self,
        items: list[Json] | None = None,
        *,
        delivery_type: str = DEFAULT_DELIVERY_TYPE,
        delivery: Json | None = None,
        status: str | None = None,
        substatus: str | None = None,
        **fields: Any,
    ) -> OrderDTO:
        """A buyer's test order in this campaign: ``items`` (one line of ``sku-1`` by default),
        ``delivery`` (or just its ``delivery_type``), a starting ``status``/``substatus``
        (PROCESSING by default) and any other field of the request (``buyer``,
        ``externalOrderId``)."""
        body: Json = {
            "items": items or [dict(DEFAULT_ITEM)],
            "delivery": delivery or {"type": delivery_type},
            **fields,
        }
        if status is not None:
            body["status"] = status
        if substatus is not None:
            body["substatus"] = substatus
        answer = self.control.call("POST", f"/campaigns/{self.campaign_id}/orders", body=body)
        return GetOrderResponse.model_validate(answer).order

    def move_order(self, order_id: int, status: str, substatus: str | None = None) -> OrderDTO:
        """A Market-side status move of this campaign's order (R-097, R-102)."""
        body: Json = {"status": status}
        if substatus is not None:
            body["substatus"] = substatus
        answer = self.control.call(
            "POST", f"/campaigns/{self.campaign_id}/orders/{order_id}/status", body=body
        )
        return GetOrderResponse.model_validate(answer).order

    def order_view(self, order_id: int) -> Json:
        """What the sandbox shows behind an order: keys, tracks, marking codes, outbox."""
        return self.control.call("GET", f"/campaigns/{self.campaign_id}/orders/{order_id}")

    def trigger(self, event: str, order_id: int | None = None, body: Json | None = None) -> Json:
        """A Market-side event: ``ping`` for the campaign, or an order's ``buyer-cancellation``,
        ``buyer-received``, ``delivery-date-change`` (with its ``body``). Answers the
        notifications it queued."""
        where = f"/campaigns/{self.campaign_id}"
        if order_id is not None:
            where += f"/orders/{order_id}"
        return self.control.call("POST", f"{where}/triggers/{event}", body=body)

    # What was sent and answered.

    def outbox(self, order_id: int | None = None) -> list[Json]:
        """This campaign's notifications (or one order's), as ``GET /sandbox/outbox`` lists them."""
        listing = self.control.outbox(campaign_id=self.campaign_id, order_id=order_id)
        messages: list[Json] = listing["messages"]
        return messages

    def requests(self, limit: int | None = None) -> list[Json]:
        """This test's Partner API calls from the query log, newest first: those of its campaign
        and the business-wide ones of its business (getBusinessOrders), at most ``limit``. The
        log is read page by page until enough are found or it ends."""
        found: list[Json] = []
        page_token: str | None = None
        while limit is None or len(found) < limit:
            page = self.control.requests(limit=QUERY_LOG_PAGE_MAX, page_token=page_token)
            found += [e for e in page["requests"] if e.get("businessId") == self.business_id]
            page_token = page.get("paging", {}).get("nextPageToken")
            if page_token is None:
                break
        return found if limit is None else found[:limit]

    # Faults (docs/decisions.md, "Fault injection").

    def fault(
        self,
        operation_id: str,
        fault: str,
        *,
        next: int | None = None,
        every: int | None = None,
        share: float | None = None,
        seed: int | None = None,
        latency_ms: int | None = None,
        any_caller: bool = False,
    ) -> Json:
        """Make ``operation_id`` answer ``fault`` (``HOURLY_LIMIT``, ``PARALLEL_LIMIT``,
        ``INTERNAL_ERROR``, ``SERVICE_UNAVAILABLE``, ``DROP_CONNECTION``, ``LATENCY`` with
        ``latency_ms``) for the calls ``next``, ``every`` or ``share`` picks (``next=1`` when none
        is given). The rule names this test's key, and its campaign when the operation has one
        in its path; ``any_caller=True`` leaves both out. Answers the rule as listed (``id``,
        ``calls``, ``injected``, ...)."""
        if next is None and every is None and share is None:
            next = 1
        rule: Json = {"operationId": operation_id, "fault": fault}
        if not any_caller:
            rule["tokenId"] = self.token_id
            operation = OPERATIONS_BY_ID.get(operation_id)
            if operation is not None and operation.per_campaign:
                rule["campaignId"] = self.campaign_id
        for name, value in (
            ("next", next),
            ("every", every),
            ("share", share),
            ("seed", seed),
            ("latencyMs", latency_ms),
        ):
            if value is not None:
                rule[name] = value
        added = self.control.add_fault(rule)
        self._fault_rule_ids.append(int(added["id"]))
        return added

    # Scenarios.

    def load_scenario(self, scenario: Scenario, *, file_format: str | None = None) -> Json:
        """Set the sandbox up from a scenario (``POST /sandbox/scenarios``): a YAML, JSON or
        TOML file's path, its text, or the document as a mapping (which can name this test's
        ``campaign_id``). Answers what each entry's name stands for (``names``)."""
        return self.control.load_scenario(scenario, file_format=file_format)

    # The fixture's side.

    def finish(self, *, reset_campaign: bool) -> None:
        """After the test: close the client; on a shared server, clear this campaign's part and
        the fault rules the test added, so that they do not outlive it."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if not reset_campaign:
            return
        self.control.reset(self.campaign_id)
        for rule_id in self._fault_rule_ids:
            try:
                self.control.clear_faults(rule_id)
            except SandboxCallError as exc:
                if exc.status_code != 404:  # gone already: the campaign's reset took it
                    raise
