"""The catalogue from a CSV file (UTF-8, comma-separated, a header row).

Columns: ``offerId``, ``name``, ``price``, ``count`` (units in stock), and optionally
``feedId``, ``digital``, ``sellerInn``, ``vat``, ``available``. A problem names its line.
"""

from __future__ import annotations

import csv
from pathlib import Path

from dbskit.store_data.catalogue import Offer
from dbskit.store_data.loaders._offers import FieldProblem, OfferFields, build_offer
from dbskit.store_data.loaders.errors import Problem, StoreDataError

_COLUMNS = {
    "offerId": "offer_id",
    "feedId": "feed_id",
    "name": "name",
    "price": "price",
    "count": "stock",
    "digital": "digital",
    "sellerInn": "seller_inn",
    "vat": "vat",
    "available": "available",
}
_REQUIRED = ("offerId", "name", "price", "count")
_MAX_PROBLEMS = 20


def read_csv(path: Path, *, feed_id: int, seller_inn: str | None) -> list[Offer]:
    file = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _read(csv.reader(handle), file, feed_id=feed_id, seller_inn=seller_inn)
    except OSError as exc:
        raise StoreDataError.one(file, "", f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise StoreDataError.one(file, "", "the file is not UTF-8") from None
    except csv.Error as exc:
        raise StoreDataError.one(file, "", f"not valid CSV: {exc}") from None


def _read(rows: csv.Reader, file: str, *, feed_id: int, seller_inn: str | None) -> list[Offer]:  # type: ignore[name-defined]
    header = next(rows, None)
    if header is None:
        raise StoreDataError.one(file, "line 1", "the file is empty: a header row is needed")
    names = [name.strip() for name in header]
    problems = [
        Problem(file, "line 1", f"column {column!r} is missing")
        for column in _REQUIRED
        if column not in names
    ]
    problems.extend(
        Problem(file, "line 1", f"unknown column {name!r}")
        for name in names
        if name not in _COLUMNS
    )
    if problems:
        raise StoreDataError(problems)
    attributes = [_COLUMNS[name] for name in names]
    offers: list[Offer] = []
    for row in rows:
        if not row:
            continue
        line = rows.line_num
        if len(row) != len(attributes):
            problems.append(
                Problem(file, f"line {line}", f"{len(row)} values for {len(attributes)} columns")
            )
        else:
            fields = OfferFields(**dict(zip(attributes, row, strict=True)))
            try:
                offers.append(build_offer(fields, feed_id=feed_id, seller_inn=seller_inn))
            except FieldProblem as exc:
                problems.append(Problem(file, f"line {line}", str(exc)))
        if len(problems) >= _MAX_PROBLEMS:
            break
    if problems:
        raise StoreDataError(problems)
    return offers
