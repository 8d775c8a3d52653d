"""Synthetic stores of any size, the same for the same seed: for property tests and benchmarks.

``store_spec`` draws a region tree (two countries; the second one is not served), delivery
rules, outlets, restrictions and a catalogue. ``generate_store`` builds it in memory through
the same checks as the loaders; ``write_store`` writes it as a seller would keep it (a YAML or
TOML settings file and a YML or CSV catalogue), so load times are measured on real files.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import yaml

from dbskit.contract.cart import CartPaymentMethod, RegionType, Weekday
from dbskit.contract.enums import Vat
from dbskit.store_data.catalogue import Offer
from dbskit.store_data.data import StoreData
from dbskit.store_data.loaders.documents import Document
from dbskit.store_data.loaders.store import build_store, validate_settings

FEED_ID = 1000
SELLER_INN = "7712345671"
OTHER_INN = "7801234564"
SERVED_COUNTRY = 1
UNSERVED_COUNTRY = 2
MAX_DEPTH = 5
_TYPES_BY_DEPTH = (
    RegionType.COUNTRY,
    RegionType.COUNTRY_DISTRICT,
    RegionType.SUBJECT_FEDERATION,
    RegionType.CITY,
    RegionType.CITY_DISTRICT,
    RegionType.SECONDARY_DISTRICT,
)
_INTERVALS = (("09:00", "13:00"), ("13:00", "17:00"), ("17:00", "21:00"), ("21:00", "23:59"))
_PAYMENTS = (
    CartPaymentMethod.YANDEX,
    CartPaymentMethod.CARD_ON_DELIVERY,
    CartPaymentMethod.CASH_ON_DELIVERY,
    CartPaymentMethod.SBP,
    CartPaymentMethod.SHOP_PREPAID,
)
_VATS = (Vat.VAT_20, Vat.VAT_10, Vat.VAT_0, Vat.NO_VAT)


@dataclass(frozen=True)
class StoreSpec:
    """A generated store: the settings file's content and the catalogue's offers."""

    settings: dict[str, Any]
    offers: list[Offer]


def store_spec(
    seed: int, *, offers: int = 200, regions: int = 60, outlets: int | None = None
) -> StoreSpec:
    rng = random.Random(seed)
    region_entries, depth, parent = _regions(rng, max(regions, 2))
    chain_of = _chains(parent)
    served = [r["id"] for r in region_entries if chain_of[r["id"]][-1] == SERVED_COUNTRY]
    rules = _rules(rng, served, depth)
    pickup_regions = {rule["region"] for rule in rules if rule["type"] == "PICKUP"}
    outlet_entries = _outlets(rng, served, chain_of, pickup_regions, outlets or regions // 3)
    catalogue = _offers(rng, offers)
    restrictions = _restrictions(rng, catalogue, served, depth)
    settings = {
        "store": {
            "time_zone": rng.choice(["Europe/Moscow", "Asia/Yekaterinburg", "Asia/Vladivostok"]),
        },
        "catalogue": {"path": "catalogue.xml", "feed_id": FEED_ID, "seller_inn": SELLER_INN},
        "regions": region_entries,
        "delivery": rules,
        "outlets": outlet_entries,
        "restrictions": restrictions,
    }
    return StoreSpec(settings, catalogue)


def generate_store(seed: int, **sizes: int) -> StoreData:
    """The generated store, built in memory."""
    spec = store_spec(seed, **sizes)
    document = Document(Path(f"generated-{seed}/store.yaml"), spec.settings)
    return build_store(document, validate_settings(document), spec.offers)


def write_store(
    folder: Path,
    seed: int,
    *,
    settings_format: str = "yaml",
    catalogue_format: str = "xml",
    **sizes: int,
) -> Path:
    """Write the generated store as files; returns the settings file's path."""
    spec = store_spec(seed, **sizes)
    folder.mkdir(parents=True, exist_ok=True)
    catalogue = folder / f"catalogue.{catalogue_format}"
    if catalogue_format == "csv":
        _write_csv(catalogue, spec.offers)
    else:
        _write_yml(catalogue, spec.offers)
    settings = dict(spec.settings, catalogue=dict(spec.settings["catalogue"], path=catalogue.name))
    path = folder / f"store.{settings_format}"
    if settings_format == "toml":
        path.write_text(_toml(settings), encoding="utf-8")
    else:
        path.write_text(yaml.dump(settings, Dumper=_Dumper, allow_unicode=True), encoding="utf-8")
    return path


# --- Parts ----------------------------------------------------------------------------------------


def _regions(
    rng: random.Random, count: int
) -> tuple[list[dict[str, Any]], dict[int, int], dict[int, int | None]]:
    entries: list[dict[str, Any]] = []
    depth: dict[int, int] = {}
    parent: dict[int, int | None] = {}
    can_parent: list[int] = []
    for region_id in range(1, count + 1):
        if region_id <= UNSERVED_COUNTRY:
            up: int | None = None
        elif region_id == UNSERVED_COUNTRY + 1:
            up = UNSERVED_COUNTRY  # the unserved country has at least one city below it
        else:
            up = rng.choice(can_parent)
        level = 0 if up is None else depth[up] + 1
        depth[region_id] = level
        parent[region_id] = up
        if level < MAX_DEPTH:
            can_parent.append(region_id)
        entry: dict[str, Any] = {
            "id": region_id,
            "name": f"Region {region_id}",
            "type": _TYPES_BY_DEPTH[level].value,
        }
        if up is not None:
            entry["parent"] = up
        entries.append(entry)
    return entries, depth, parent


def _chains(parent: dict[int, int | None]) -> dict[int, tuple[int, ...]]:
    chains: dict[int, tuple[int, ...]] = {}
    for region_id in sorted(parent):  # parents have smaller ids
        up = parent[region_id]
        chains[region_id] = (region_id,) if up is None else (region_id, *chains[up])
    return chains


def _rules(rng: random.Random, served: list[int], depth: dict[int, int]) -> list[dict[str, Any]]:
    rules = [_rule(rng, "post-all", SERVED_COUNTRY, "POST")]
    for region_id in served:
        if 1 <= depth[region_id] <= 3 and rng.random() < 0.3:
            rules.append(_rule(rng, f"courier-{region_id}", region_id, "DELIVERY"))
        if 1 <= depth[region_id] <= 2 and rng.random() < 0.3:
            rules.append(_rule(rng, f"pickup-{region_id}", region_id, "PICKUP"))
    return rules


def _rule(rng: random.Random, rule_id: str, region_id: int, type_: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id,
        "region": region_id,
        "type": type_,
        "service_name": f"{type_.title()} service {region_id}",
        "price": rng.choice([0, 199, 299.5, 450]),
        "lead_days": rng.randint(0, 6),
        "cutoff": f"{rng.randint(8, 22):02d}:{rng.choice(['00', '30'])}",
        "span_days": rng.randint(0, 4),
        "days_off": sorted(rng.sample(list(Weekday), rng.randint(0, 2)), key=list(Weekday).index),
        "payment_methods": rng.sample(_PAYMENTS, rng.randint(1, 3)),
    }
    if rng.random() < 0.3:
        rule["service_id"] = rng.randint(1, 500)
    if type_ == "DELIVERY" and rng.random() < 0.7:
        rule["intervals"] = [list(pair) for pair in rng.sample(_INTERVALS, rng.randint(1, 4))]
        rule["intervals"].sort()
    rule["days_off"] = [day.value for day in rule["days_off"]]
    rule["payment_methods"] = [method.value for method in rule["payment_methods"]]
    return rule


def _outlets(
    rng: random.Random,
    served: list[int],
    chain_of: dict[int, tuple[int, ...]],
    pickup_regions: set[int],
    count: int,
) -> list[dict[str, Any]]:
    covered = [
        region_id for region_id in served if pickup_regions.intersection(chain_of[region_id])
    ]
    outlets: list[dict[str, Any]] = []
    for index in range(count if covered else 0):
        region_id = rng.choice(covered)
        outlets.append(
            {
                "code": f"OUT-{index:05d}",
                "name": f"Outlet {index}",
                "region": region_id,
                "extra_days": rng.choice([0, 0, 0, 1, 2]),
            }
        )
    return outlets


def _offers(rng: random.Random, count: int) -> list[Offer]:
    offers = []
    for index in range(count):
        offers.append(
            Offer(
                feed_id=FEED_ID,
                offer_id=f"offer-{index:06d}",
                name=f"Offer {index}",
                price=float(rng.randint(1, 100_000)),
                stock=0 if rng.random() < 0.1 else rng.randint(1, 50),
                digital=rng.random() < 0.1,
                seller_inn=SELLER_INN if rng.random() < 0.9 else OTHER_INN,
                vat=rng.choice(_VATS),
            )
        )
    return offers


def _restrictions(
    rng: random.Random, offers: list[Offer], served: list[int], depth: dict[int, int]
) -> list[dict[str, Any]]:
    upper = [region_id for region_id in served if 1 <= depth[region_id] <= 2]
    physical = [offer.offer_id for offer in offers if not offer.digital]
    if not upper or not physical:
        return []
    chosen = rng.sample(physical, max(1, len(physical) // 100))
    return [{"offers": chosen, "regions": rng.sample(upper, min(2, len(upper)))}]


# --- Files ----------------------------------------------------------------------------------------


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


def _write_yml(path: Path, offers: list[Offer]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<yml_catalog date="2026-01-01">\n')
        out.write("<shop><offers>\n")
        for offer in offers:
            out.write(f'<offer id={quoteattr(offer.offer_id)} available="true">')
            out.write(f"<name>{escape(offer.name)}</name><price>{offer.price:g}</price>")
            out.write(f"<count>{offer.stock}</count><vat>{offer.vat.value}</vat>")
            if offer.digital:
                out.write("<downloadable>true</downloadable>")
            if offer.seller_inn != SELLER_INN:
                out.write(f'<param name="sellerInn">{offer.seller_inn}</param>')
            out.write("</offer>\n")
        out.write("</offers></shop>\n</yml_catalog>\n")


def _write_csv(path: Path, offers: list[Offer]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["offerId", "name", "price", "count", "digital", "sellerInn", "vat"])
        for offer in offers:
            inn = "" if offer.seller_inn == SELLER_INN else offer.seller_inn
            digital = "true" if offer.digital else "false"
            writer.writerow(
                [
                    offer.offer_id,
                    offer.name,
                    f"{offer.price:g}",
                    offer.stock,
                    digital,
                    inn,
                    offer.vat.value,
                ]
            )


def _toml(settings: dict[str, Any]) -> str:
    """Enough TOML for the settings file (tomllib only reads)."""
    lines: list[str] = []
    for table in ("store", "catalogue"):
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in settings[table].items())
        lines.append("")
    for array in ("regions", "delivery", "outlets", "restrictions"):
        for entry in settings[array]:
            lines.append(f"[[{array}]]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in entry.items())
            lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(_toml_value(item) for item in value) + "]"
