"""``load_store``: the settings file, then the catalogue it names, into one ``StoreData``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from dbskit.contract.validation import field_path
from dbskit.store_data.catalogue import Catalogue, DuplicateOffer, Offer
from dbskit.store_data.data import DigitalDelivery, StoreData, StoreSettings
from dbskit.store_data.delivery_rules import (
    DeliveryRule,
    DeliveryRules,
    Interval,
    Outlet,
    RuleSetError,
)
from dbskit.store_data.loaders.csv_feed import read_csv
from dbskit.store_data.loaders.documents import Document, read_document
from dbskit.store_data.loaders.errors import Problem, StoreDataError
from dbskit.store_data.loaders.settings_file import (
    RuleEntry,
    StoreFile,
    parse_clock,
)
from dbskit.store_data.loaders.yml_feed import read_yml
from dbskit.store_data.regions import Region, RegionTree, RegionTreeError

DEMO_SETTINGS = Path(__file__).resolve().parent.parent / "demo" / "store.toml"
_YML_SUFFIXES = frozenset({".xml", ".yml"})


def load_store(settings_path: Path | None = None, *, time_zone: str | None = None) -> StoreData:
    """Everything in ``settings_path`` (the demo store when ``None``), checked.

    ``time_zone`` overrides the file's ``store.time_zone``.
    """
    path = settings_path or DEMO_SETTINGS
    document = read_document(path)
    spec = validate_settings(document)
    return build_store(document, spec, _catalogue_offers(path, spec), time_zone=time_zone)


def build_store(
    document: Document, spec: StoreFile, offers: list[Offer], *, time_zone: str | None = None
) -> StoreData:
    """The store from checked settings and the catalogue's offers; cross-references checked."""
    file = str(document.path)
    zone_name = time_zone or spec.store.time_zone
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        where = "store time zone" if time_zone else _where(document, ("store", "time_zone"))
        raise StoreDataError.one(file, where, f"unknown time zone {zone_name!r}") from None
    tree = _regions(document, spec)
    try:
        catalogue = Catalogue(offers)
    except DuplicateOffer as exc:
        feed = catalogue_path(document.path, spec)
        raise StoreDataError.one(feed, f"offer {exc.offer.offer_id!r}", "listed twice") from None
    _restrict(document, spec, catalogue, tree)
    try:
        rules = DeliveryRules(tree, (_rule(entry) for entry in spec.delivery), _outlets(spec))
    except RuleSetError as exc:
        raise StoreDataError.one(file, exc.where, exc.reason) from None
    digital = spec.store.digital
    settings = StoreSettings(
        time_zone=zone,
        delivery_currency=spec.store.delivery_currency,
        digital=DigitalDelivery(
            digital.option_id, digital.service_name, tuple(digital.payment_methods)
        ),
    )
    return StoreData(settings, catalogue, tree, rules, source=file)


def validate_settings(document: Document) -> StoreFile:
    try:
        return StoreFile.model_validate(document.content)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            reason = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(str(document.path), _where(document, error["loc"]), reason))
        raise StoreDataError(problems) from None


def _where(document: Document, location: Iterable[int | str]) -> str:
    location = tuple(location)
    path = field_path(location) or "(top level)"
    line = document.line_of(location)
    return f"line {line} ({path})" if line is not None else path


def _regions(document: Document, spec: StoreFile) -> RegionTree:
    try:
        return RegionTree(
            Region(entry.id, entry.name, entry.type, entry.parent) for entry in spec.regions
        )
    except RegionTreeError as exc:
        index = next(i for i, entry in enumerate(spec.regions) if entry.id == exc.region_id)
        raise StoreDataError.one(
            document.path, _where(document, ("regions", index)), exc.reason
        ) from None


def _catalogue_offers(settings_path: Path, spec: StoreFile) -> list[Offer]:
    return read_catalogue(catalogue_path(settings_path, spec), spec, named_in=settings_path)


def read_catalogue(feed: Path, spec: StoreFile, *, named_in: Path | None = None) -> list[Offer]:
    """The offers of a YML or CSV catalogue, with the settings file's feed id and seller INN.

    ``named_in`` is the settings file that names ``feed`` (for the report of a bad format).
    """
    section = spec.catalogue
    if feed.suffix.lower() in _YML_SUFFIXES:
        return read_yml(feed, feed_id=section.feed_id, seller_inn=section.seller_inn)
    if feed.suffix.lower() == ".csv":
        return read_csv(feed, feed_id=section.feed_id, seller_inn=section.seller_inn)
    raise StoreDataError.one(
        named_in or feed,
        "catalogue.path" if named_in else "file name",
        f"unknown catalogue format {feed.suffix!r}: use .xml, .yml or .csv",
    )


def catalogue_path(settings_path: Path, spec: StoreFile) -> Path:
    """The catalogue named by the settings file, relative to that file."""
    return (settings_path.parent / spec.catalogue.path).resolve()


def _restrict(document: Document, spec: StoreFile, catalogue: Catalogue, tree: RegionTree) -> None:
    problems = []
    for index, entry in enumerate(spec.restrictions):
        where = _where(document, ("restrictions", index))
        for region_id in entry.regions:
            if region_id not in tree:
                problems.append(
                    Problem(str(document.path), where, f"region {region_id} is not listed")
                )
        feed_id = entry.feed_id or spec.catalogue.feed_id
        for offer_id in entry.offers:
            if not catalogue.restrict(feed_id, offer_id, frozenset(entry.regions)):
                reason = f"offer {offer_id!r} of feed {feed_id} is not in the catalogue"
                problems.append(Problem(str(document.path), where, reason))
    if problems:
        raise StoreDataError(problems)


def _rule(entry: RuleEntry) -> DeliveryRule:
    return DeliveryRule(
        id=entry.id,
        region_id=entry.region,
        type=entry.type,
        service_name=entry.service_name,
        service_id=entry.service_id,
        price=entry.price,
        lead_days=entry.lead_days,
        cutoff=parse_clock(entry.cutoff),
        span_days=entry.span_days,
        intervals=tuple(
            Interval(_interval_time(start), _interval_time(end)) for start, end in entry.intervals
        ),
        days_off=frozenset(day.number for day in entry.days_off),
        holidays=frozenset(entry.holidays),
        payment_methods=tuple(entry.payment_methods),
    )


def _interval_time(value: str) -> time:
    return time(int(value[:2]), int(value[3:]))


def _outlets(spec: StoreFile) -> list[Outlet]:
    return [
        Outlet(entry.code, entry.name, entry.region, entry.extra_days) for entry in spec.outlets
    ]
