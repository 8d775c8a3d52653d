"""``dbskit check-cart`` on what a new seller meets: a store that answers nothing, offers sold in
some regions only, a feed given alone, a slow store, a refused token."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from dbskit.cart_rules.findings import Severity
from dbskit.cart_rules.scenario import Expect
from dbskit.checker.catalogue_checks import checks_for
from dbskit.checker.coverage import Coverage
from dbskit.checker.pace import DEFAULT_CONCURRENCY, PROGRESS_EVERY
from dbskit.checker.report import has_errors, text_report, token_refused
from dbskit.checker.runner import Progress, ProgressSink, Run, Target, check_store
from dbskit.checker.scenarios import NotEnoughData, build_scenarios, load_data, outlet_codes
from dbskit.settings import Settings
from dbskit.shop.app import build_store_service, create_store_app
from dbskit.store_data.generate import write_store
from dbskit.store_data.loaders import DEMO_SETTINGS
from dbskit.store_data.loaders.errors import StoreDataError
from tests.cart_factories import fixed_clock
from tests.http.shop.broken_store import (
    EMPTY_ANSWER,
    Breakage,
    BrokenStore,
    Exchange,
    on_answers,
)
from tests.http.shop.conftest import PUSH_TOKEN

STORE_URL = "http://store.test"
JUDGED_BY_THE_DATA = "Answers judged by the store's data"
RUNNING = "Running check-cart"
# The demo's physical offers besides the sofa, which the demo already sells in Moscow only.
DEMO_PHYSICAL = ["phone-nova-x1", "headphones-wave", "kettle-aqua-17", "coffee-arabica-1kg"]
DEMO_UNAVAILABLE = ["ereader-page-6", "radio-retro"]
ST_PETERSBURG = 2


async def check(
    app: ASGIApp,
    *,
    regions: Path | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressSink | None = None,
    progress_every: float = PROGRESS_EVERY,
) -> Run:
    data = load_data(None, regions)
    return await check_store(
        Target(STORE_URL, PUSH_TOKEN),
        build_scenarios(data),
        clock=fixed_clock(),
        outlet_codes=outlet_codes(data),
        transport=httpx.ASGITransport(app=app),
        checks=checks_for(data),
        concurrency=concurrency,
        progress=progress,
        progress_every=progress_every,
    )


def errors(run: Run) -> set[tuple[str, str]]:
    return {(f.check, f.rule) for f in run.findings if f.severity is Severity.ERROR}


# --- A store that answers every cart with nothing -----------------------------------------------


def _answers_nothing(exchange: Exchange) -> None:
    if exchange.status == 200:
        exchange.answer = EMPTY_ANSWER


@pytest.mark.rule("R-049", "R-050")
@pytest.mark.decision(JUDGED_BY_THE_DATA)
async def test_a_store_that_answers_every_cart_with_nothing_fails(store_app: Starlette) -> None:
    run = await check(BrokenStore(store_app, _answers_nothing))
    assert errors(run) == {("lines-on-sale", "R-050"), ("served-options", "R-049")}
    assert has_errors(run)
    by_scenario = {(f.scenario, f.check): f.message for f in run.findings}
    assert by_scenario[("pickup-region-10174", "served-options")] == (
        "no option of type PICKUP, POST, though the store's data serve region 10174 with these "
        "types"
    )
    assert by_scenario[("delivery-region-120542", "lines-on-sale")] == (
        "line feedId=200100 offerId='phone-nova-x1' is in stock in the catalogue but left out "
        "(read as not on sale)"
    )
    # The unserved region's empty options are right; the digital item has no physical
    # delivery to expect.
    judged = {scenario for scenario, check in by_scenario if check == "served-options"}
    assert not any(name.startswith("unserved-region-") for name in judged)
    assert "digital-item" not in judged
    assert text_report(run, STORE_URL).splitlines()[-1].startswith("FAILED: ")


def _no_pickup(_request: dict[str, Any], answer: dict[str, Any]) -> None:
    answer["deliveryOptions"] = [o for o in answer["deliveryOptions"] if o["type"] != "PICKUP"]


@pytest.mark.rule("R-049", "R-063")
@pytest.mark.decision(JUDGED_BY_THE_DATA)
async def test_each_type_the_rules_serve_a_region_with_is_expected(store_app: Starlette) -> None:
    run = await check(BrokenStore(store_app, on_answers(_no_pickup)))
    assert errors(run) == {("served-options", "R-049")}
    by_scenario = {f.scenario: f.message for f in run.findings}
    assert by_scenario["pickup-region-10174"] == (
        "no option of type PICKUP, though the store's data serve region 10174 with that type"
    )
    # Khimki has no outlet: no PICKUP option is expected there.
    assert "post-region-10758" not in by_scenario


# --- A catalogue whose physical offers all travel to some regions only --------------------------


def _regional_store(folder: Path) -> Path:
    """The demo store with every physical offer sold in St Petersburg only (the sofa in Moscow)."""
    folder.mkdir()
    shutil.copy(DEMO_SETTINGS.parent / "catalogue.xml", folder / "catalogue.xml")
    offers = ", ".join(f'"{offer}"' for offer in DEMO_PHYSICAL + DEMO_UNAVAILABLE)
    settings = folder / "store.toml"
    settings.write_text(
        DEMO_SETTINGS.read_text(encoding="utf-8")
        + f"\n[[restrictions]]\noffers = [{offers}]\nregions = [{ST_PETERSBURG}]\n",
        encoding="utf-8",
    )
    return settings


@pytest.mark.rule("R-047", "R-048", "R-049")
@pytest.mark.decision(JUDGED_BY_THE_DATA)
async def test_offers_restricted_to_regions_are_asked_where_they_travel(tmp_path: Path) -> None:
    settings_path = _regional_store(tmp_path / "store")
    data = load_data(None, settings_path)
    assert all(offer.regions for offer in data.catalogue if not offer.digital)
    settings = Settings(data_dir=tmp_path / "d", store_token=PUSH_TOKEN, store_data=settings_path)
    app = create_store_app(build_store_service(settings, clock=fixed_clock()))
    async with app.router.lifespan_context(app):
        run = await check(app, regions=settings_path)
    assert run.findings == []
    names = [outcome.scenario.name for outcome in run.outcomes]
    assert names[:3] == ["delivery-region-2", "pickup-region-2", "post-region-2"]
    assert "not-deliverable-region-2" in names  # the sofa, sold in Moscow only
    for outcome in run.outcomes:
        expects = {line.expect for line in outcome.scenario.lines}
        if Expect.IN_STOCK in expects and not outcome.scenario.unserved:
            assert outcome.scenario.body["cart"]["delivery"]["region"]["id"] == ST_PETERSBURG


def _restricted_to_unserved(folder: Path, keep_last_free: bool) -> Path:
    """A generated store whose physical offers travel only to a region no rule serves, but for
    the last one if ``keep_last_free``: beyond the first few the battery tries."""
    settings = write_store(folder, 1, settings_format="yaml", offers=60, regions=30)
    data = load_data(None, settings)
    coverage = Coverage(data)
    unserved = next(r.id for r in data.regions.regions() if not coverage.types(r.id))
    physical = [o.offer_id for o in data.catalogue if not o.digital and o.stock > 0]
    assert len(physical) > 20 + 1
    document = yaml.safe_load(settings.read_text(encoding="utf-8"))
    restricted = physical[:-1] if keep_last_free else physical
    document["restrictions"] = [{"offers": restricted, "regions": [unserved]}]
    settings.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return settings


@pytest.mark.rule("R-048")
@pytest.mark.decision(JUDGED_BY_THE_DATA)
def test_the_battery_looks_past_offers_that_travel_nowhere_served(tmp_path: Path) -> None:
    data = load_data(None, _restricted_to_unserved(tmp_path / "store", keep_last_free=True))
    scenarios = build_scenarios(data)
    asked = {line.offer_id for line in scenarios[0].lines}
    last = [o for o in data.catalogue if not o.digital and o.stock > 0][-1]
    assert asked == {last.offer_id}


@pytest.mark.rule("R-048")
@pytest.mark.decision(JUDGED_BY_THE_DATA)
def test_no_offer_travelling_to_a_served_region_cannot_drive_the_checks(tmp_path: Path) -> None:
    data = load_data(None, _restricted_to_unserved(tmp_path / "store", keep_last_free=False))
    with pytest.raises(NotEnoughData) as refused:
        build_scenarios(data)
    assert str(refused.value) == (
        "no physical offer in stock travels to a region served by a DELIVERY, PICKUP or POST rule"
    )


# --- A feed without a settings file -------------------------------------------------------------


@pytest.mark.rule("R-045")
@pytest.mark.decision(RUNNING)
async def test_a_feed_alone_is_checked_with_the_demo_regions_and_no_restrictions(
    tmp_path: Path,
) -> None:
    settings_path = write_store(tmp_path / "generated", 5, offers=40, regions=20)
    with pytest.raises(StoreDataError):  # the demo's restriction names a demo offer
        load_data(settings_path.parent / "catalogue.xml", DEMO_SETTINGS)
    data = load_data(settings_path.parent / "catalogue.xml")
    assert data.source == str(DEMO_SETTINGS)
    assert len(data.catalogue) == 40
    assert not any(offer.regions for offer in data.catalogue)
    assert build_scenarios(data)[0].name.startswith("delivery-region-")


# --- Pace: calls in flight, progress ------------------------------------------------------------


class HeldStore:
    """Holds every call until the test lets it go, counting the calls held at once."""

    def __init__(self, store: ASGIApp, full_at: int) -> None:
        self.store = store
        self.full_at = full_at
        self.full = asyncio.Event()  # ``full_at`` calls are held
        self.release = asyncio.Event()
        self.held = 0
        self.most_held = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.held += 1
            self.most_held = max(self.most_held, self.held)
            if self.held >= self.full_at:
                self.full.set()
            try:
                await self.release.wait()
            finally:
                self.held -= 1
        await self.store(scope, receive, send)


@pytest.mark.rule("R-037")
@pytest.mark.decision(RUNNING)
@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_slow_run_reports_its_progress_and_keeps_calls_in_flight_bounded(
    store_app: Starlette, concurrency: int
) -> None:
    store = HeldStore(store_app, full_at=concurrency)
    reports: list[Progress] = []
    reported = asyncio.Event()

    def sink(progress: Progress) -> None:
        reports.append(progress)
        reported.set()

    # The calls held past the deadline would time out and fail the run: no hang.
    run_task = asyncio.create_task(
        check(store, concurrency=concurrency, progress=sink, progress_every=0.01)
    )
    await store.full.wait()
    await reported.wait()
    store.release.set()
    run = await run_task
    assert run.findings == []
    assert store.most_held == concurrency
    first = reports[0]
    assert (first.done, first.total, first.unanswered) == (0, len(run.outcomes), 0)


@pytest.mark.rule("R-037")
@pytest.mark.decision(RUNNING)
async def test_a_run_shorter_than_the_progress_period_reports_nothing(
    store_app: Starlette,
) -> None:
    reports: list[Progress] = []
    # Our store answers 14 calls in milliseconds, far within PROGRESS_EVERY.
    run = await check(store_app, progress=reports.append, progress_every=PROGRESS_EVERY)
    assert run.findings == []
    assert reports == []


# --- A refused token ----------------------------------------------------------------------------


def _refuse_with(status: int) -> Breakage:
    def breakage(exchange: Exchange) -> None:
        exchange.status = status
        exchange.answer = {"error": "unauthorized"}

    return breakage


@pytest.mark.rule("R-039")
@pytest.mark.decision(RUNNING)
@pytest.mark.parametrize("status", [401, 403])
async def test_a_store_refusing_every_call_for_its_token_is_told_apart(
    store_app: Starlette, status: int
) -> None:
    run = await check(BrokenStore(store_app, _refuse_with(status)))
    assert token_refused(run)
    assert has_errors(run)


@pytest.mark.rule("R-039")
@pytest.mark.decision(RUNNING)
async def test_a_store_refusing_only_the_wrong_tokens_is_not_a_refused_token(
    store_app: Starlette,
) -> None:
    assert not token_refused(await check(store_app))
