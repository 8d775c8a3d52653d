"""The method, order list and /cart workloads: their bodies and data, that every measured call
of a write method writes, and that the list workloads read full pages."""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from benchmarks.calls import SEQUENCE_MARKER, GeneratedStore, SetupContext
from benchmarks.load import LoadResult, run_wrk
from benchmarks.servers import Server
from benchmarks.workloads import WORKLOADS, Workload

from benchmarks import method_setups, order_list_setups, store_setup, stored_orders, targets
from dbskit.contract import limits
from dbskit.contract.cart import CartRequest
from dbskit.contract.enums import OrderStatus
from dbskit.market.domain.status_model import valid_states
from dbskit.settings import SQLITE_FILE_NAME
from dbskit.store_data.generate import store_spec

NUMBER = "000123456789"
needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


def workload(name: str) -> Workload:
    return next(w for w in WORKLOADS if w.name == name)


def test_the_large_body_is_just_under_512_kb_with_a_key_for_every_unit() -> None:
    item_ids = list(range(1, method_setups.LARGE_ITEMS + 1))
    body = method_setups.large_digital_goods_body(item_ids)
    assert len(body.encode()) == 524_000 < limits.REQUEST_BODY_MAX_BYTES
    assert body.count(SEQUENCE_MARKER) == 1
    items = json.loads(body.replace(SEQUENCE_MARKER, NUMBER))["items"]
    assert [item["id"] for item in items] == item_ids
    assert all(len(item["codes"]) == method_setups.LARGE_COUNT for item in items)
    keys = [key for item in items for key in item["codes"]]
    assert len(keys) == len(set(keys)) == 36_000
    assert all(len(item["slip"]) <= limits.DIGITAL_SLIP_MAX_LENGTH for item in items)


def test_five_thousand_keys_of_one_item_fill_the_body_just_under_512_kb() -> None:
    body = method_setups.one_item_digital_goods_body(7)
    assert len(body.encode()) == 524_000 < limits.REQUEST_BODY_MAX_BYTES
    assert body.count(SEQUENCE_MARKER) == 1
    (item,) = json.loads(body.replace(SEQUENCE_MARKER, NUMBER))["items"]
    codes = item["codes"]
    assert item["id"] == 7
    assert len(codes) == len(set(codes)) == limits.DIGITAL_CODES_MAX == method_setups.ONE_ITEM_KEYS
    assert {len(code) for code in codes} <= {len(codes[-1]), len(codes[-1]) + 1}  # ~100 each


NOW = datetime(2030, 3, 2, 6, 0, tzinfo=UTC)


def test_the_stored_orders_are_mostly_recent_and_each_in_a_state_it_can_be_in() -> None:
    orders = stored_orders.build_orders(21_000_001, now=NOW, count=2_000)
    assert orders == stored_orders.build_orders(21_000_001, now=NOW, count=2_000)  # seeded
    assert len({order.id for order in orders}) == 2_000
    created = [order.created_at for order in orders]
    assert created == sorted(created, reverse=True) and created[0] <= NOW
    window = NOW - limits.GET_ORDERS_PERIOD_MAX + timedelta(days=1)  # the default 30 days
    assert sum(moment > window for moment in created) == 1_800
    assert all((o.status, o.substatus) in valid_states(o.delivery_type) for o in orders)
    waiting = [order for order in orders if order.cancellation_requested_at is not None]
    assert waiting and {o.status for o in waiting} <= {OrderStatus.DELIVERY, OrderStatus.PICKUP}
    assert 60 < sum(order.fake for order in orders) < 140  # one in twenty
    assert {len(order.items) for order in orders} == {1, 2, 3}


def test_marking_codes_match_the_seed_patterns_once_numbered() -> None:
    body = method_setups.identifiers_body([11, 12]).replace(SEQUENCE_MARKER, NUMBER)
    cis_item, uin_item = json.loads(body)["items"]
    codes = [instance["cis"] for instance in cis_item["instances"]]
    assert len(set(codes)) == 2
    assert all(limits.CIS_WITH_CRYPTO_TAIL.fullmatch(code) for code in codes)
    assert [limits.UIN_PATTERN.fullmatch(i["uin"]) is not None for i in uin_item["instances"]] == [
        True
    ]


def test_baskets_are_valid_cart_requests_on_the_generated_store() -> None:
    bodies = store_setup.baskets(3, 500, 80, 20)
    spec = store_spec(3, offers=500, regions=80, outlets=20)
    offers = {offer.offer_id for offer in spec.offers}
    regions = {entry["id"] for entry in spec.settings["regions"]}
    assert len(bodies) == store_setup.BASKETS
    assert len(set(bodies)) > 0.99 * len(bodies)  # a small store repeats a basket now and then
    for body in bodies[:200]:
        cart = CartRequest.model_validate_json(body).cart
        assert {item.offer_id for item in cart.items} <= offers
        chain = cart.delivery.region.chain_ids()
        assert set(chain) <= regions and chain[-1] in {1, 2}  # up to a country


# --- Against real servers -------------------------------------------------------------------------


Running = tuple[Server, str, Path]  # the server, its sandbox token, its SQLite file


@pytest.fixture(scope="module")
def dbskit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data_dir = tmp_path_factory.mktemp("dbskit-bench")
    token = secrets.token_urlsafe(16)
    server = targets.start_dbskit(
        data_dir=data_dir,
        sandbox_token=token,
        workers=1,
        settings=method_setups.bench_settings(),
    )
    yield server, token, data_dir / SQLITE_FILE_NAME
    server.stop()


def context(target: Running, client: httpx.Client, connections: int = 2) -> SetupContext:
    server, token, database = target
    return SetupContext(
        server.base_url, token, connections, client, database_url=f"sqlite:///{database}"
    )


def run(target: Running, name: str, connections: int = 2) -> tuple[LoadResult, int]:
    """Fresh data, one second of load; the run's result and the pool's size."""
    with httpx.Client(timeout=60) as client:
        chosen = workload(name)
        assert chosen.setup is not None
        prepared = chosen.setup(context(target, client, connections))
        result = run_wrk(
            target[0].base_url,
            chosen.dbskit,
            connections=connections,
            duration=1,
            variants=prepared.variants,
        )
    assert result.valid, result.statuses
    return result, len(prepared.variants)


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.e2e
@needs_wrk
def test_every_deliver_digital_goods_call_stores_new_keys(
    dbskit: Running,
) -> None:
    database = dbskit[2]
    before = query(database, "SELECT coalesce(sum(accepted_calls), 0) FROM digital_deliveries")
    result, orders = run(dbskit, "deliver-digital-goods")
    after = query(database, "SELECT coalesce(sum(accepted_calls), 0) FROM digital_deliveries")
    # Each 200 stored keys (the first call on an order, then replacements, OQ-01); calls still
    # in flight when wrk stopped may add a few.
    assert after[0][0] - before[0][0] >= result.requests > orders  # type: ignore[operator]
    statuses = query(
        database,
        "SELECT DISTINCT o.status FROM orders o JOIN digital_deliveries d ON d.order_id = o.id",
    )
    assert statuses == [("PROCESSING",)]  # the e-mail waits: every call replaced the keys


@pytest.mark.e2e
@needs_wrk
def test_every_track_call_records_a_new_track(dbskit: Running) -> None:
    database = dbskit[2]
    before = query(database, "SELECT count(*) FROM order_tracks")[0][0]
    result, _ = run(dbskit, "delivery-track")
    after = query(database, "SELECT count(*) FROM order_tracks")[0][0]
    assert after - before >= result.requests  # type: ignore[operator]


@pytest.mark.e2e
@needs_wrk
def test_put_identifiers_stores_the_run_s_codes(dbskit: Running) -> None:
    database = dbskit[2]
    coded = "SELECT order_id, instances FROM order_items WHERE instances IS NOT NULL"
    before = {row[0] for row in query(database, coded)}
    result, orders = run(dbskit, "put-identifiers")
    rows = [
        (order_id, kind, value)
        for order_id, codes in query(database, coded)
        for kind, value, _, _ in json.loads(str(codes))
    ]
    fresh = [row for row in rows if row[0] not in before]
    assert len({row[0] for row in fresh}) == orders  # every order of the pool got codes
    assert Counter(kind for _, kind, _ in fresh) == {"CIS": 2 * orders, "UIN": orders}
    assert len({value for _, _, value in fresh}) == 3 * orders
    assert result.requests > orders


@pytest.mark.e2e
@needs_wrk
@pytest.mark.parametrize("name", ["identifiers-status", "get-order", "delivery-services"])
def test_the_read_workloads_count(dbskit: Running, name: str) -> None:
    result, _ = run(dbskit, name)
    assert result.statuses == {"200": result.requests}


@pytest.mark.e2e
@needs_wrk
def test_the_512_kb_body_is_taken(dbskit: Running) -> None:
    database = dbskit[2]
    before = query(database, "SELECT coalesce(sum(accepted_calls), 0) FROM digital_deliveries")
    result, _ = run(dbskit, "deliver-digital-goods-512k", connections=1)
    after = query(database, "SELECT coalesce(sum(accepted_calls), 0) FROM digital_deliveries")
    assert after[0][0] - before[0][0] >= result.requests >= 1  # type: ignore[operator]


@pytest.mark.e2e
@needs_wrk
def test_every_5000_key_call_stores_the_keys(dbskit: Running) -> None:
    database = dbskit[2]
    before = query(database, "SELECT coalesce(sum(accepted_calls), 0) FROM digital_deliveries")
    result, _ = run(dbskit, "deliver-digital-goods-5000-keys", connections=1)
    after = query(database, "SELECT coalesce(sum(accepted_calls), 0) FROM digital_deliveries")
    assert after[0][0] - before[0][0] >= result.requests >= 1  # type: ignore[operator]


LIST_WORKLOADS = ["get-orders-100k", "get-orders-100k-numbered", "business-orders-100k"]


@pytest.mark.e2e
@needs_wrk
@pytest.mark.parametrize("name", LIST_WORKLOADS)
def test_the_list_workloads_read_full_pages_of_distinct_requests(
    dbskit: Running, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written once per server (10,000 orders here), then only read: each workload sends over a
    hundred different requests, nearly all of them answered with a page of 50 orders."""
    server, _, database = dbskit
    monkeypatch.setattr(stored_orders, "STORED_ORDERS", 10_000)
    result, _ = run(dbskit, name)
    assert result.statuses == {"200": result.requests}
    stored = query(database, "SELECT count(*) FROM orders")
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        chosen = workload(name)
        assert chosen.setup is not None
        variants = chosen.setup(context(dbskit, client)).variants
        assert query(database, "SELECT count(*) FROM orders") == stored  # no second fill
        pages = [
            client.request(
                chosen.dbskit.method,
                variant.path,
                content=variant.body.encode(),
                headers={"Api-Key": variant.token, **chosen.dbskit.headers},
            )
            for variant in variants
        ]
    assert len(variants) == len(set(variants)) >= 100
    assert {page.status_code for page in pages} == {200}
    sizes = [len(page.json()["orders"]) for page in pages]
    assert sum(size == order_list_setups.PAGE_SIZE for size in sizes) >= 0.8 * len(sizes)


@pytest.mark.e2e
@needs_wrk
def test_the_store_answers_the_baskets(tmp_path: Path) -> None:
    from dbskit.store_data.generate import write_store

    settings = write_store(tmp_path / "store", 5, offers=2_000, regions=300, outlets=50)
    store = GeneratedStore(settings, secrets.token_urlsafe(16), 5, 2_000, 300, 50)
    server = targets.start_store(data_dir=tmp_path / "data", store=store)
    try:
        with httpx.Client() as client:
            context = SetupContext(server.base_url, "", 2, client, store)
            chosen = workload("cart-100k")
            assert chosen.setup is not None
            prepared = chosen.setup(context)
        call = chosen.dbskit.with_values(prepared.values)
        result = run_wrk(
            server.base_url, call, connections=2, duration=1, variants=prepared.variants
        )
    finally:
        server.stop()
    assert result.statuses == {"200": result.requests}
