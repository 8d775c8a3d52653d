"""The whole digital-order loop on loopback, driven as a seller drives it: the emulator
(``dbskit serve``) and the store (``dbskit store serve``) as real processes, keys imported and
exported through ``dbskit store keys``, the campaign pointed at the store through ``/sandbox``.

Every wait here is a hang detector (``HANG_SECONDS``), never a figure the tests assert.
"""

from __future__ import annotations

import csv
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.e2e.server import Server, dbskit_env, free_port, running_server

T = TypeVar("T")

SANDBOX_TOKEN = "store-loop-sandbox-token"
PUSH_TOKEN = "store-loop-push-token"
# The emulator's keys e-mail comes this long after the keys (OQ-05); the tests move the sandbox
# clock past it instead of waiting.
EMAIL_DELAY_SECONDS = 5
# How often the emulator runs due events (the first attempt of each notification) in real time.
SCHEDULER_INTERVAL_SECONDS = 0.2
HANG_SECONDS = 60.0
KEYS_HEADER = ("offerId", "key", "activateTill", "slip")
# The demo store's digital offer: a sandbox checkout of it makes a DIGITAL order (README).
DEMO_DIGITAL_OFFER = "game-key-north"
DEMO_REGION_MOSCOW = 213
_EMAILED_KEY = re.compile(r"<li>([^<]+)</li>")


def eventually(check: Callable[[], T | None], *, what: str, timeout: float = HANG_SECONDS) -> T:
    """The first truthy value of ``check()``; a hang past ``timeout`` fails with ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except httpx.TransportError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout:.0f} s: {what}")
        time.sleep(0.05)


def dbskit(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``dbskit <args>`` as a seller types it, in a process of its own."""
    finished = subprocess.run(
        [sys.executable, "-m", "dbskit", *args],
        env=dbskit_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and finished.returncode != 0:
        raise AssertionError(
            f"dbskit {' '.join(args)} exited {finished.returncode}\n"
            f"--- stdout\n{finished.stdout[-2000:]}\n--- stderr\n{finished.stderr[-2000:]}"
        )
    return finished


# --- the Market side: the emulator and its /sandbox -------------------------------------------


@dataclass(frozen=True)
class Campaign:
    business_id: int
    campaign_id: int


@dataclass
class Market:
    """A running ``dbskit serve`` and the seller's calls to its control plane."""

    server: Server
    http: httpx.Client

    @property
    def url(self) -> str:
        return self.server.base_url

    def _ok(self, answer: httpx.Response, *statuses: int) -> Any:
        assert answer.status_code in (statuses or (200,)), (answer.status_code, answer.text)
        return answer.json()

    def campaign(self, *, business_id: int | None = None, **settings: object) -> Campaign:
        body = {"name": "Keys store", **settings}
        if business_id is not None:
            body["businessId"] = business_id
        made = self._ok(self.http.post("/sandbox/campaigns", json=body), 201)
        return Campaign(int(made["businessId"]), int(made["campaignId"]))

    def api_key(self, business_id: int) -> str:
        body = {"businessId": business_id, "scopes": ["all-methods"]}
        return str(self._ok(self.http.post("/sandbox/tokens", json=body), 201)["apiKey"])

    def set_campaign(self, campaign_id: int, **fields: object) -> Any:
        return self._ok(self.http.patch(f"/sandbox/campaigns/{campaign_id}", json=fields))

    def digital_order(
        self, campaign_id: int, lines: Sequence[tuple[str, int]], *, digital_type: str = "EMAIL"
    ) -> dict[str, Any]:
        """A buyer's DIGITAL test order (ORDER_CREATED goes to the campaign's store)."""
        body = {
            "items": [{"offerId": offer, "count": count, "price": 990} for offer, count in lines],
            "delivery": {"type": "DIGITAL", "digitalGoods": {"type": digital_type}},
        }
        placed = self.http.post(f"/sandbox/campaigns/{campaign_id}/orders", json=body)
        order: dict[str, Any] = self._ok(placed, 201)["order"]
        return order

    def checkout(self, campaign_id: int, lines: Sequence[tuple[str, int]]) -> dict[str, Any]:
        """A buyer's checkout through the store's ``POST /cart`` (OQ-16)."""
        body = {
            "items": [{"offerId": offer, "count": count} for offer, count in lines],
            "regionId": DEMO_REGION_MOSCOW,
            "deliveryType": "DIGITAL",
        }
        answer = self.http.post(f"/sandbox/campaigns/{campaign_id}/checkout", json=body)
        order: dict[str, Any] = self._ok(answer, 201)["order"]
        return order

    def order_view(self, campaign_id: int, order_id: int) -> dict[str, Any]:
        view: dict[str, Any] = self._ok(
            self.http.get(f"/sandbox/campaigns/{campaign_id}/orders/{order_id}")
        )
        return view

    def outbox(self, order_id: int) -> list[dict[str, Any]]:
        answer = self.http.get("/sandbox/outbox", params={"orderId": order_id})
        messages: list[dict[str, Any]] = self._ok(answer)["messages"]
        return messages

    def advance(self, seconds: float) -> None:
        self._ok(self.http.post("/sandbox/clock", json={"advanceSeconds": seconds}))

    def add_fault(self, **rule: object) -> dict[str, Any]:
        made: dict[str, Any] = self._ok(self.http.post("/sandbox/faults", json=rule), 201)
        return made

    def faults(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self._ok(self.http.get("/sandbox/faults"))["rules"]
        return rules

    def keys_sent(self, campaign_id: int, order_id: int) -> dict[int, list[str]]:
        """The keys the Market holds for the order, per item id ({} before any)."""
        view = self.order_view(campaign_id, order_id)
        digital = view.get("digitalKeys")
        if not digital:
            return {}
        return {
            int(item["id"]): [code for batch in item["batches"] for code in batch["codes"]]
            for item in digital["items"]
        }

    def emailed_keys(self, order_id: int) -> list[str]:
        """The keys in the buyer's e-mails of the order, as the outbox shows them."""
        return [
            key
            for message in self.outbox(order_id)
            if message["kind"] == "email"
            for key in _EMAILED_KEY.findall(message["payload"]["html"])
        ]

    def status(self, campaign_id: int, order_id: int) -> tuple[str, str]:
        order = self.order_view(campaign_id, order_id)["order"]
        return order["status"], order["substatus"]

    def wait_for_keys(
        self, campaign_id: int, order_id: int, *, timeout: float = HANG_SECONDS
    ) -> dict[int, list[str]]:
        """The keys the store sent for the order, once the Market holds them."""
        return eventually(
            lambda: self.keys_sent(campaign_id, order_id),
            what=f"the store's keys for order {order_id}",
            timeout=timeout,
        )

    def wait_for_status(self, campaign_id: int, order_id: int, status: str) -> None:
        eventually(
            lambda: self.status(campaign_id, order_id)[0] == status,
            what=f"order {order_id} {status}",
        )


@contextmanager
def market(tmp_path: Path, *extra: str) -> Iterator[Market]:
    """``dbskit serve`` on a free port with a data dir of its own under ``tmp_path``."""
    data_dir = tmp_path / "market"
    args = [
        "--data-dir", str(data_dir),
        "--digital-delivery-delay-seconds", str(EMAIL_DELAY_SECONDS),
        "--scheduler-interval-seconds", str(SCHEDULER_INTERVAL_SECONDS),
        *extra,
    ]  # fmt: skip
    headers = {"Sandbox-Token": SANDBOX_TOKEN}
    env = {"DBSKIT_SANDBOX_TOKEN": SANDBOX_TOKEN}
    with (
        running_server(args, env=env, ready_headers=headers) as server,
        httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http,
    ):
        yield Market(server, http)


# --- the seller's side: the store process and its key vault ------------------------------------


@dataclass
class Store:
    """``dbskit store serve`` on a port of its own, which it keeps across restarts (the
    campaign's notification URL names it)."""

    data_dir: Path
    market_url: str
    api_key: str
    business_id: int
    database_url: str | None = None
    extra: Sequence[str] = ()
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def store_args(self) -> list[str]:
        """``--data-dir`` and ``--store-database-url``, as every ``dbskit store`` command takes."""
        args = ["--data-dir", str(self.data_dir)]
        if self.database_url is not None:
            args += ["--store-database-url", self.database_url]
        return args

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        log = Path(tempfile.mkstemp(prefix="dbskit-store-", suffix=".log")[1])
        self.logs.append(log)
        command = [
            sys.executable, "-m", "dbskit", "store", "serve", "--port", str(self.port),
            *self.store_args(), "--store-token", PUSH_TOKEN,
            "--store-market-url", self.market_url, "--store-api-key", self.api_key,
            "--store-business-id", str(self.business_id), *self.extra,
        ]  # fmt: skip
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, env=dbskit_env(self.env), stdout=output, stderr=subprocess.STDOUT
            )
        eventually(self._answers_ping, what=f"the store on {self.url} to answer a PING")

    def _answers_ping(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the store exited {self.process.returncode}:\n{self.output()}")
        ping = {"notificationType": "PING", "time": "2026-12-07T12:00:00Z"}
        answer = httpx.post(self.url + "/notification", json=ping, timeout=2)
        return answer.status_code == 200

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; whatever was in flight is cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)

    def keys(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``dbskit store keys <args>`` on this store's database."""
        return dbskit("store", "keys", *args, *self.store_args())

    def import_keys(self, rows: Iterable[KeyRow], folder: Path) -> str:
        path = folder / f"keys-{time.monotonic_ns()}.csv"
        write_keys_csv(path, rows)
        return self.keys("import", str(path)).stdout

    def delivered(self, folder: Path) -> list[dict[str, str]]:
        """``dbskit store keys export``: the keys the store delivered, one row each."""
        path = folder / f"delivered-{time.monotonic_ns()}.csv"
        self.keys("export", "--output", str(path))
        with path.open(newline="", encoding="utf-8") as file:
            return list(csv.DictReader(file))

    def status(self) -> str:
        return dbskit("store", "status", *self.store_args()).stdout

    def stock(self) -> dict[str, tuple[int, int, int]]:
        """``dbskit store keys status``: (available, reserved, delivered) per offer."""
        lines = self.keys("status").stdout.splitlines()
        assert lines[0].split() == ["offerId", "available", "reserved", "delivered"], lines
        return {
            offer: (int(available), int(reserved), int(delivered))
            for offer, available, reserved, delivered, *_ in (line.split() for line in lines[1:])
        }


@contextmanager
def running_stores(*stores: Store) -> Iterator[tuple[Store, ...]]:
    """Start each store; stop every one of them at the end, however the test ended. A failed
    wait inside is reported with the end of each store's output and ``dbskit store status``."""
    try:
        for store in stores:
            store.start()
        try:
            yield stores
        except AssertionError as failed:
            raise AssertionError(f"{failed}\n{_explain(stores)}") from None
    finally:
        for store in stores:
            store.stop()
            for log in store.logs:
                log.unlink(missing_ok=True)


def _explain(stores: Sequence[Store]) -> str:
    parts = []
    for number, store in enumerate(stores, 1):
        status = dbskit("store", "status", *store.store_args(), check=False)
        parts.append(
            f"--- store {number}: its output\n{store.output()[-3000:]}\n"
            f"--- store {number}: dbskit store status\n{status.stdout}{status.stderr}"
        )
    return "\n".join(parts)


# --- keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    offer_id: str
    key: str
    activate_till: str = ""
    slip: str = ""


def make_keys(offer_id: str, count: int, *, prefix: str = "KEY") -> list[KeyRow]:
    """``count`` distinct keys of one offer, recognisable in an e-mail by their prefix."""
    return [KeyRow(offer_id, f"{prefix}-{offer_id.upper()}-{n:06d}") for n in range(count)]


def write_keys_csv(path: Path, rows: Iterable[KeyRow]) -> None:
    """The import file a seller writes: ``offerId,key,activateTill,slip``."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(KEYS_HEADER)
        for row in rows:
            writer.writerow([row.offer_id, row.key, row.activate_till, row.slip])


def exported_keys(rows: Iterable[dict[str, str]]) -> list[str]:
    """The key column of an export, whatever case its header has."""
    keys = []
    for row in rows:
        column = next(name for name in row if name.lower() == "key")
        keys.append(row[column])
    return keys


# --- the loop, set up as a seller does it ------------------------------------------------------


@dataclass
class Loop:
    market: Market
    campaign: Campaign
    store: Store
    folder: Path

    def wait_for_keys(
        self, order_id: int, *, timeout: float = HANG_SECONDS
    ) -> dict[int, list[str]]:
        return self.market.wait_for_keys(self.campaign.campaign_id, order_id, timeout=timeout)

    def wait_for_delivered(self, order_id: int, *, timeout: float = HANG_SECONDS) -> None:
        """The clock moved past the e-mail's delay, then ``DELIVERED`` observed."""
        self.wait_for_keys(order_id, timeout=timeout)
        self.market.advance(EMAIL_DELAY_SECONDS)
        self.market.wait_for_status(self.campaign.campaign_id, order_id, "DELIVERED")

    def wait_for_export(self, expected: int) -> list[str]:
        """The store's export once it lists ``expected`` keys (it learns of DELIVERED through
        the ORDER_STATUS_UPDATED notification)."""

        def exported() -> list[str] | None:
            keys = exported_keys(self.store.delivered(self.folder))
            return keys if len(keys) >= expected else None

        return eventually(exported, what=f"{expected} keys in the store's export")


def connect(
    market: Market, store_dir: Path, *, env: dict[str, str] | None = None
) -> tuple[Campaign, Store]:
    """A campaign, and a store (not started yet) that holds a full-access Api-Key of the
    campaign's business."""
    campaign = market.campaign()
    key = market.api_key(campaign.business_id)
    store = Store(store_dir, market.url, key, campaign.business_id, env=env or {})
    return campaign, store


def point_at(market: Market, campaign: Campaign, store: Store) -> None:
    """``dbskit sandbox campaigns set`` as a seller runs it: the store gets the Market's
    checkouts and notifications (a PING first, R-117)."""
    dbskit(
        "sandbox", "campaigns", "set", str(campaign.campaign_id),
        "--push-url", store.url, "--push-auth-token", PUSH_TOKEN,
        "--notification-url", store.url,
        "--url", market.url, "--sandbox-token", SANDBOX_TOKEN,
    )  # fmt: skip
