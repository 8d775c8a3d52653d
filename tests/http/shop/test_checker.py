"""``dbskit check-cart``'s checks: our store passes them all; a broken store fails exactly one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp

from dbskit.cart_rules.findings import Severity
from dbskit.checker.catalogue_checks import checks_for
from dbskit.checker.report import has_errors, json_report, text_report
from dbskit.checker.runner import Run, Target, check_store
from dbskit.checker.scenarios import build_scenarios, load_data, outlet_codes
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.settings import Settings
from dbskit.shop.app import build_store_service, create_store_app
from dbskit.store_data.generate import write_store
from tests.cart_factories import fixed_clock
from tests.http.shop.broken_store import (
    EMPTY_ANSWER,
    Breakage,
    BrokenStore,
    Exchange,
    on_answers,
    options_of,
)
from tests.http.shop.conftest import PUSH_TOKEN

STORE_URL = "http://store.test"
# Every check of a run on the demo store's battery: the rules' and the catalogue's.
CHECKS = checks_for(load_data())
# A deadline short enough to test without waiting 5.5 s; the store answers in milliseconds.
SHORT_DEADLINE = 1.0


async def check(app: ASGIApp, *, deadline: float = 5.5, token: str = PUSH_TOKEN) -> Run:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    data = load_data()
    target = Target(STORE_URL, token, PushAuthMode.HEADER)
    return await check_store(
        target,
        build_scenarios(data),
        deadline=deadline,
        clock=fixed_clock(),
        outlet_codes=outlet_codes(data),
        transport=transport,
        checks=checks_for(data),
    )


def fired(run: Run, severity: Severity = Severity.ERROR) -> set[str]:
    return {finding.check for finding in run.findings if finding.severity is severity}


# --- Our own store ------------------------------------------------------------------------------


@pytest.mark.rule("R-037", "R-039", "R-045", "R-046", "R-047", "R-048", "R-049", "R-050", "R-067")
async def test_our_store_passes_every_check(store_app: Starlette) -> None:
    run = await check(store_app)
    assert run.findings == []
    assert not has_errors(run)
    statuses = {outcome.scenario.name: outcome.status for outcome in run.outcomes}
    assert statuses == {
        "delivery-region-120542": 200,
        "pickup-region-10174": 200,
        "post-region-10758": 200,
        "unserved-region-149": 200,
        "unknown-offer": 200,
        "out-of-stock": 200,
        "over-stock": 200,
        "business-buyer": 200,
        "digital-item": 200,
        "promos": 200,
        "not-deliverable-region-2": 200,
        "malformed-request": 400,
        "wrong-token": 403,
        "missing-token": 403,
    }


@pytest.mark.rule("R-039")
@pytest.mark.parametrize("store_overrides", [{"store_auth_mode": "URL"}])
async def test_the_token_travels_as_the_auth_token_parameter_in_url_mode(
    store_app: Starlette,
) -> None:
    transport = httpx.ASGITransport(app=store_app)
    scenarios = build_scenarios(load_data())
    target = Target(STORE_URL, PUSH_TOKEN, PushAuthMode.URL)
    run = await check_store(target, scenarios, clock=fixed_clock(), transport=transport)
    assert run.findings == []


# --- Broken stores: each fires its check and no other -------------------------------------------


def _extra_line(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    answer["items"].append({"feedId": 200100, "offerId": "not-asked-for", "count": 1})


def _ignore_short_stock(request: dict[str, Any], answer: dict[str, Any]) -> None:
    asked = {item["offerId"]: item["count"] for item in request["items"]}
    for item in answer["items"]:
        if 0 < item["count"] < asked[item["offerId"]]:
            item["count"] = asked[item["offerId"]]


def _sell_what_is_not_there(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    for item in answer["items"]:
        if item["count"] == 0:
            item["count"] = 1


def _deliver_everything(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    for item in answer["items"]:
        if item.get("delivery") is False:
            item["delivery"] = True


def _serve_every_region(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    if not answer["deliveryOptions"] and answer["items"]:
        answer["deliveryOptions"].append(
            {
                "id": "post-anywhere",
                "price": 350,
                "serviceName": "Почта",
                "type": "POST",
                "dates": {"fromDate": "30-11-2026", "toDate": "02-12-2026"},
                "paymentMethods": ["YANDEX"],
            }
        )


def _for_items(change: Callable[[dict[str, Any]], None]) -> Breakage:
    def each_item(_request: dict[str, Any], answer: dict[str, Any]) -> None:
        for item in answer["items"]:
            change(item)

    return on_answers(each_item)


def _for_options(change: Callable[[dict[str, Any]], None], type_: str | None = None) -> Breakage:
    def each_option(_request: dict[str, Any], answer: dict[str, Any]) -> None:
        for option in options_of(answer, type_):
            change(option)

    return on_answers(each_option)


def _iso_date(option: dict[str, Any]) -> None:
    day, month, year = option["dates"]["fromDate"].split("-")
    option["dates"]["fromDate"] = f"{year}-{month}-{day}"


def _swap_dates(option: dict[str, Any]) -> None:
    dates = option["dates"]
    dates["fromDate"], dates["toDate"] = dates["toDate"], dates["fromDate"]


def _drop_to_date(option: dict[str, Any]) -> None:
    if "intervals" in option["dates"]:
        del option["dates"]["toDate"]


def _pickup_intervals(option: dict[str, Any]) -> None:
    dates = option["dates"]
    dates["intervals"] = [{"date": dates["fromDate"], "fromTime": "10:00", "toTime": "14:00"}]


def _crowd_one_date(option: dict[str, Any]) -> None:
    if "intervals" in option["dates"]:
        option["dates"]["intervals"] = [option["dates"]["intervals"][0]] * 8


def _half_hour(option: dict[str, Any]) -> None:
    if "intervals" in option["dates"]:
        option["dates"]["intervals"][0]["fromTime"] = "10:30"


def _same_ids(option: dict[str, Any]) -> None:
    option["id"] = "option"


def _with_status(status: int, when: int) -> Breakage:
    def breakage(exchange: Exchange) -> None:
        if exchange.status == when:
            exchange.status = status
            exchange.answer = EMPTY_ANSWER

    return breakage


def _content_type(exchange: Exchange) -> None:
    if exchange.status == 200:
        exchange.content_type = "text/plain; charset=utf-8"


def _truncated(exchange: Exchange) -> None:
    if exchange.status == 200:
        exchange.body = exchange.body[:20]


def _slow_for_business(exchange: Exchange) -> None:
    if exchange.request["cart"]["buyer"]["type"] == "BUSINESS":
        exchange.delay = SHORT_DEADLINE + 1.0


def _nothing_on_sale(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    answer["items"] = []


def _no_options(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    answer["deliveryOptions"] = []


def _no_payment_methods(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    del answer["paymentMethods"]


BROKEN_STORES: dict[str, tuple[str, Breakage]] = {
    "deadline": ("R-037", _slow_for_business),
    "push-token": ("R-039", _with_status(200, when=403)),
    "bad-request": ("R-067", _with_status(200, when=400)),
    "content-type": ("R-069", _content_type),
    "json": ("R-069", _truncated),
    "envelope": ("R-045", on_answers(_no_payment_methods)),
    "lines": ("R-046", on_answers(_extra_line)),
    "counts": ("R-047", on_answers(_ignore_short_stock)),
    "unavailable": ("R-050", on_answers(_sell_what_is_not_there)),
    "delivery-flag": ("R-048", on_answers(_deliver_everything)),
    "unserved-region": ("R-049", on_answers(_serve_every_region)),
    "seller-inn": ("R-052", _for_items(lambda item: item.update(sellerInn=7712345671))),
    "option-fields": ("R-053", _for_options(lambda o: o.update(price=str(o["price"])))),
    "option-id-length": ("R-054", _for_options(lambda o: o.update(id=o["id"] + "-" * 50))),
    "service-name-length": ("R-055", _for_options(lambda o: o.update(serviceName="К" * 51))),
    "date-format": ("R-057", _for_options(_iso_date, "POST")),
    "date-range": ("OQ-17", _for_options(_swap_dates, "PICKUP")),
    "courier-dates": ("R-059", _for_options(_drop_to_date, "DELIVERY")),
    "pickup-dates": ("R-060", _for_options(_pickup_intervals, "PICKUP")),
    "interval-count": ("C-14", _for_options(_crowd_one_date, "DELIVERY")),
    "interval-times": ("R-062", _for_options(_half_hour, "DELIVERY")),
    "outlets": ("R-063", _for_options(lambda o: o.pop("outlets"), "PICKUP")),
    "option-ids-unique": ("OQ-17", _for_options(_same_ids)),
    "payment-methods": ("OQ-20", _for_options(lambda o: o.update(paymentMethods="YANDEX"))),
    "lines-on-sale": ("R-050", on_answers(_nothing_on_sale)),
    "served-options": ("R-049", on_answers(_no_options)),
}


@pytest.mark.rule("OQ-16")
def test_every_check_has_a_broken_store() -> None:
    # "connection" is tested against a port nobody listens on (below); "outlet-codes" only
    # warns (C-17), with the warnings. The catalogue's checks are among them.
    elsewhere = {"connection", "outlet-codes"}
    assert set(BROKEN_STORES) | elsewhere == {c.name for c in CHECKS}
    assert {name: rule for name, (rule, _) in BROKEN_STORES.items()} == {
        c.name: c.rule for c in CHECKS if c.name not in elsewhere
    }


@pytest.mark.rule(
    "R-037", "R-039", "R-045", "R-046", "R-047", "R-048", "R-049", "R-050", "R-052", "R-053",
    "R-054", "R-055", "R-057", "R-059", "R-060", "R-062", "R-063", "R-067", "R-069",
    "C-14", "C-15", "OQ-17", "OQ-20",
)  # fmt: skip
@pytest.mark.parametrize("check_name", list(BROKEN_STORES))
async def test_a_broken_store_fails_exactly_its_check(
    store_app: Starlette, check_name: str
) -> None:
    rule, breakage = BROKEN_STORES[check_name]
    # Only the slow store is checked against a short deadline: on a loaded machine the others'
    # answers could pass it too and fire the deadline check beside their own.
    deadline = SHORT_DEADLINE if check_name == "deadline" else 5.5
    run = await check(BrokenStore(store_app, breakage), deadline=deadline)
    assert fired(run) == {check_name}, [f for f in run.findings if f.check != check_name]
    assert fired(run, Severity.WARNING) == set()
    assert {f.rule for f in run.findings} == {rule}
    assert has_errors(run)


@pytest.mark.rule("R-037")
async def test_a_store_nobody_listens_on_fails_the_connection_check() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        scenarios = build_scenarios(load_data())
        run = await check_store(Target(f"http://127.0.0.1:{port}", PUSH_TOKEN), scenarios)
    assert fired(run) == {"connection"}
    assert len(run.findings) == len(scenarios)


# --- Warnings: reported, but the store passes ---------------------------------------------------


def _seconds(option: dict[str, Any]) -> None:
    for interval in option["dates"].get("intervals", []):
        interval["fromTime"] += ":00"


def _unknown_payment_method(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    if answer["paymentMethods"]:
        answer["paymentMethods"].append("BITCOIN")


def _eight_in_total(option: dict[str, Any]) -> None:
    """Seven intervals on the first date and one on the next: eight in all."""
    intervals = option["dates"].get("intervals")
    if intervals:
        first = intervals[0]
        next_day = next(i for i in intervals if i["date"] != first["date"])
        hours = range(10, 17)
        same_day = [{**first, "fromTime": f"{h}:00", "toTime": f"{h + 1}:00"} for h in hours]
        option["dates"]["intervals"] = [*same_day, next_day]


def _drop_unknown_line(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    answer["items"] = [i for i in answer["items"] if i["offerId"] != "dbskit-check-no-such-offer"]


def _unregistered_outlet(option: dict[str, Any]) -> None:
    option["outlets"].append({"code": "NOT-REGISTERED-1"})


WARNINGS: dict[str, tuple[str, Breakage]] = {
    "outlet-codes": ("C-17", _for_options(_unregistered_outlet, "PICKUP")),
    "interval-times": ("C-16", _for_options(_seconds, "DELIVERY")),
    "payment-methods": ("OQ-20", on_answers(_unknown_payment_method)),
    "interval-count": ("C-14", _for_options(_eight_in_total, "DELIVERY")),
    "lines": ("OQ-17", on_answers(_drop_unknown_line)),
}


@pytest.mark.rule("C-14", "C-16", "C-17", "R-064", "OQ-17", "OQ-20")
@pytest.mark.parametrize("check_name", list(WARNINGS))
async def test_tolerated_defects_are_warnings_only(store_app: Starlette, check_name: str) -> None:
    _rule, breakage = WARNINGS[check_name]
    run = await check(BrokenStore(store_app, breakage))
    assert fired(run, Severity.WARNING) == {check_name}
    assert fired(run) == set()
    assert not has_errors(run)
    assert "PASSED: 0 error(s)" in text_report(run, STORE_URL)


# --- Reports ------------------------------------------------------------------------------------


@pytest.mark.rule("R-063")
async def test_the_text_report_is_a_table_of_check_rule_path_and_reason(
    store_app: Starlette,
) -> None:
    run = await check(BrokenStore(store_app, BROKEN_STORES["outlets"][1]))
    report = text_report(run, STORE_URL + "/")
    lines = report.splitlines()
    assert lines[0].startswith(f"POST {STORE_URL}/cart: 14 requests in ")
    assert lines[0].endswith(f" s, {len(CHECKS)} checks each")
    assert lines[2].split() == [
        "severity",
        "scenario",
        "check",
        "rule",
        "path",
        "what",
        "was",
        "wrong",
    ]
    rows = [line.split(None, 5) for line in lines[4:-2]]
    assert rows
    for row in rows:
        assert row[0] == "ERROR"
        assert row[2:4] == ["outlets", "R-063"]
        assert row[4].startswith("cart.deliveryOptions[") and row[4].endswith("].outlets")
        assert row[5] == "a PICKUP option lists at least one outlet"
    assert lines[-1] == f"FAILED: {len(rows)} error(s), 0 warning(s)"


@pytest.mark.rule("R-054")
async def test_the_json_report_lists_checks_requests_and_findings(store_app: Starlette) -> None:
    run = await check(BrokenStore(store_app, BROKEN_STORES["option-id-length"][1]))
    report = json.loads(json_report(run, STORE_URL))
    assert report["url"] == f"{STORE_URL}/cart"
    assert report["passed"] is False
    assert report["warnings"] == 0
    assert report["errors"] == len(report["findings"]) > 0
    assert [c["check"] for c in report["checks"]] == [c.name for c in CHECKS]
    assert len(report["requests"]) == 14
    finding = report["findings"][0]
    assert finding == {
        "severity": "ERROR",
        "scenario": "delivery-region-120542",
        "check": "option-id-length",
        "rule": "R-054",
        "path": "cart.deliveryOptions[0].id",
        "message": "61 characters; at most 50",
    }


# --- Generated stores: the battery follows the store's data -------------------------------------


@pytest.mark.rule("R-045", "R-047", "R-048", "R-049", "R-050", "R-059", "R-060", "R-062", "R-063")
@pytest.mark.parametrize(
    ("seed", "settings_format", "catalogue_format"),
    [(1, "yaml", "xml"), (2, "toml", "csv"), (3, "yaml", "csv"), (4, "toml", "xml")],
)
async def test_our_store_passes_on_generated_data_given_as_feed_and_regions(
    tmp_path: Path, seed: int, settings_format: str, catalogue_format: str
) -> None:
    settings_path = write_store(
        tmp_path / "store",
        seed,
        settings_format=settings_format,
        catalogue_format=catalogue_format,
        offers=300,
        regions=80,
    )
    feed = settings_path.parent / f"catalogue.{catalogue_format}"
    settings = Settings(data_dir=tmp_path / "d", store_token=PUSH_TOKEN, store_data=settings_path)
    app = create_store_app(build_store_service(settings, clock=fixed_clock()))
    data = load_data(feed, settings_path)
    scenarios = build_scenarios(data)
    async with app.router.lifespan_context(app):
        run = await check_store(
            Target(STORE_URL, PUSH_TOKEN),
            scenarios,
            clock=fixed_clock(),
            outlet_codes=outlet_codes(data),
            transport=httpx.ASGITransport(app=app),
            checks=checks_for(data),
        )
    assert run.findings == []
    names = [scenario.name for scenario in scenarios]
    assert names[0].startswith("delivery-region-")
    assert any(name.startswith("unserved-region-") for name in names)
    assert {"unknown-offer", "over-stock", "malformed-request", "wrong-token"} <= set(names)
