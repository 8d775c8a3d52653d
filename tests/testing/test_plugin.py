"""dbskit's pytest plugin (``dbskit.testing``), run by pytester on small seller projects.

Each project runs in a subprocess (``runpytest_subprocess``): the plugin is found through its
``pytest11`` entry point, as in a seller's environment, and its server processes end with the run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbskit.testing.server import start_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PLUGIN = "The pytest plugin"
README = Path(__file__).resolve().parents[2] / "README.md"
README_SECTION = "## Testing your integration with pytest"
QUIET = ("-p", "no:cacheprovider", "-q")


@pytest.fixture(autouse=True)
def _no_server_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner runs start their own server unless a test points them at one."""
    monkeypatch.delenv("DBSKIT_URL", raising=False)
    monkeypatch.delenv("DBSKIT_SANDBOX_TOKEN", raising=False)


SELLER_TESTS = """
from dbskit.client import PermissionDeniedError
import pytest


def test_a_new_order_is_listed(dbskit):
    order = dbskit.create_order(
        [{"offerId": "game-1", "count": 2, "price": 1500}], delivery_type="DIGITAL"
    )
    listed = list(dbskit.client.business_orders(business_id=dbskit.business_id, fake=True))
    assert [(o.order_id, o.status) for o in listed] == [(order.id, "PROCESSING")]
    dbskit.clock.advance(86_400)


def test_the_next_test_starts_clean(dbskit):
    assert list(dbskit.client.business_orders(business_id=dbskit.business_id, fake=True)) == []
    assert dbskit.control.outbox() == {"messages": []}
    assert [e["operationId"] for e in dbskit.control.requests()["requests"]] == [
        "getBusinessOrders"
    ]
    assert [e["businessId"] for e in dbskit.requests()] == [dbskit.business_id]


def test_an_earlier_tests_business_is_out_of_reach(dbskit):
    with pytest.raises(PermissionDeniedError):
        dbskit.client.get_business_orders(business_id=dbskit.business_id - 1, fake=True)
"""


@pytest.mark.decision(PLUGIN)
def test_a_sellers_tests_get_a_clean_sandbox_and_a_campaign_each(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_seller=SELLER_TESTS)
    result = pytester.runpytest_subprocess(*QUIET, "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=3)


def readme_seller_file() -> str:
    """The first Python block of the README's section on the plugin."""
    section = README.read_text(encoding="utf-8").split(README_SECTION, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.decision(PLUGIN)
def test_the_readmes_seller_file_passes_as_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_market_flow=readme_seller_file())
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=3)


LEVERS = """
import asyncio
from datetime import timedelta

import httpx


def test_a_fault_answers_the_next_call(dbskit):
    order = dbskit.create_order()
    rule = dbskit.fault("getOrder", "SERVICE_UNAVAILABLE")
    url = f"{dbskit.base_url}/v2/campaigns/{dbskit.campaign_id}/orders/{order.id}"
    headers = {"Api-Key": dbskit.api_key}
    faulted = httpx.get(url, headers=headers)
    assert faulted.status_code == 503
    assert faulted.json()["errors"][0]["message"] == (
        "Service temporarily unavailable. Please, try again later"
    )
    assert httpx.get(url, headers=headers).status_code == 200
    logged = dbskit.requests()
    assert [entry["status"] for entry in logged] == [200, 503]
    assert logged[1]["injectedFault"] == {"ruleId": rule["id"], "fault": "SERVICE_UNAVAILABLE"}


def test_the_clock_moves_forward(dbskit):
    before = dbskit.clock.now()
    moved = dbskit.clock.advance(3600)
    assert dbskit.clock.now() - before >= timedelta(hours=1)
    assert moved["eventsRemaining"] >= 0


def test_market_side_moves_reach_the_outbox(dbskit):
    order = dbskit.create_order()
    assert dbskit.move_order(order.id, "CANCELLED", "USER_CHANGED_MIND").status == "CANCELLED"
    kinds = [m["payload"]["notificationType"] for m in dbskit.outbox(order_id=order.id)]
    assert kinds[0] == "ORDER_CREATED" and "ORDER_CANCELLED" in kinds


def test_the_async_client(dbskit):
    order = dbskit.create_order()

    async def fetch():
        async with dbskit.async_client() as market:
            page = await market.get_business_orders(business_id=dbskit.business_id, fake=True)
            return [o.order_id for o in page.orders]

    assert asyncio.run(fetch()) == [order.id]
"""


@pytest.mark.decision(PLUGIN)
def test_the_helpers_levers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_levers=LEVERS)
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=4)


SERVERS_SEEN = """
import json
import os
from pathlib import Path

import pytest


@pytest.mark.parametrize("n", range(2))
def test_note_the_server(dbskit_server, dbskit, n):
    with Path(__file__).with_name("servers.jsonl").open("a") as seen:
        seen.write(json.dumps([os.environ["PYTEST_XDIST_WORKER"], dbskit_server.base_url,
                               str(dbskit_server.data_dir)]) + "\\n")
"""


@pytest.mark.decision(PLUGIN)
def test_each_xdist_worker_has_a_server_of_its_own(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_servers=SERVERS_SEEN)
    result = pytester.runpytest_subprocess(*QUIET, "-n", "2", "--dist", "each")
    result.assert_outcomes(passed=4)
    seen = [json.loads(line) for line in (pytester.path / "servers.jsonl").read_text().splitlines()]
    by_worker = {worker: (url, data_dir) for worker, url, data_dir in seen}
    assert sorted(by_worker) == ["gw0", "gw1"]
    urls = {url for url, _ in by_worker.values()}
    data_dirs = {data_dir for _, data_dir in by_worker.values()}
    assert len(urls) == 2 and len(data_dirs) == 2
    assert len(seen) == 4  # each worker kept its one server for both of its tests


UNRELATED = """
import sys


def test_plain(request):
    assert request.config.pluginmanager.has_plugin("dbskit")
    assert not [name for name in request.fixturenames if name.startswith("dbskit")]
    loaded = sorted(name for name in sys.modules if name.split(".")[0] == "dbskit")
    assert loaded == ["dbskit", "dbskit.testing", "dbskit.testing.plugin"], loaded
"""


@pytest.mark.decision(PLUGIN)
def test_a_run_that_asks_for_nothing_gets_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unrelated=UNRELATED)
    result = pytester.runpytest_subprocess(*QUIET, "--setup-show")
    result.assert_outcomes(passed=1)
    assert "dbskit" not in result.stdout.str()
    assert not list(pytester.path.glob("**/dbskit-server*"))


SHARED_SERVER = """
from pathlib import Path


def test_on_a_shared_server(dbskit):
    order = dbskit.create_order()
    dbskit.fault("getDeliveryServices", "INTERNAL_ERROR", next=5)
    Path(__file__).with_name("made.txt").write_text(f"{dbskit.campaign_id} {order.id}")
"""


@pytest.mark.decision(PLUGIN)
def test_a_running_server_is_shared_not_reset(pytester: pytest.Pytester, tmp_path: Path) -> None:
    server = start_server(tmp_path / "server")
    try:
        control = server.control
        neighbour = control.create_campaign()["campaignId"]
        kept = control.call("POST", f"/campaigns/{neighbour}/orders", body=_ORDER)["order"]["id"]
        pytester.makepyfile(test_shared=SHARED_SERVER)
        result = pytester.runpytest_subprocess(
            *QUIET,
            f"--dbskit-url={server.base_url}",
            f"--dbskit-sandbox-token={server.sandbox_token}",
        )
        result.assert_outcomes(passed=1)
        campaign_id, order_id = map(int, (pytester.path / "made.txt").read_text().split())
        assert control.call("GET", f"/campaigns/{neighbour}/orders/{kept}")["order"]["id"] == kept
        assert control.outbox(campaign_id=campaign_id) == {"messages": []}
        assert control.outbox(order_id=order_id) == {"messages": []}
        assert control.faults()["rules"] == []
    finally:
        server.stop()


_ORDER = {"items": [{"offerId": "sku-1", "count": 1, "price": 100}], "delivery": {"type": "PICKUP"}}


@pytest.mark.decision(PLUGIN)
def test_a_running_server_without_its_token_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_any="def test_any(dbskit):\n    pass\n")
    result = pytester.runpytest_subprocess(*QUIET, "--dbskit-url=http://127.0.0.1:9")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--dbskit-url (DBSKIT_URL) needs the server's Sandbox-Token*"])


SCENARIO = """
def test_a_scenario_in_the_tests_campaign(dbskit):
    loaded = dbskit.load_scenario({"entries": [
        {"name": "late", "order": {"campaignId": dbskit.campaign_id,
                                   "items": [{"offerId": "sku-1", "count": 1, "price": 100}],
                                   "delivery": {"type": "DELIVERY"}}},
    ]})
    order_id = loaded["names"]["late"]["id"]
    assert dbskit.order_view(order_id)["order"]["id"] == order_id


def test_a_scenario_file(dbskit, tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text("entries:\\n  - name: shop\\n    campaign: {name: Shop}\\n")
    loaded = dbskit.load_scenario(path)
    assert loaded["names"]["shop"]["kind"] == "campaign"
    assert dbskit.control.campaign(loaded["names"]["shop"]["id"])["name"] == "Shop"
"""


@pytest.mark.decision(PLUGIN)
def test_scenarios_through_the_helper(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_scenario=SCENARIO)
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=2)
