"""Key files: the import's and the export's CSV.

An import file has the header ``offerId,key,activateTill,slip`` (the last two optional, the
columns in any order), UTF-8 with or without a BOM. The whole file is read and checked before
the vault is touched: every bad row is reported with its line number, and a file with any bad
row imports nothing (``docs/decisions.md``, The key vault). Values lose surrounding spaces;
blank lines are skipped. The export lists the delivered keys (``EXPORT_COLUMNS``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dbskit.shop.storage.key_rows import (
    InvalidKeyRows,
    KeyRow,
    RowProblem,
    offer_and_key_problems,
    parse_activate_till,
    slip_problems,
)

if TYPE_CHECKING:
    from dbskit.shop.storage.vault import DeliveredKey

OFFER_ID_COLUMN = "offerId"
KEY_COLUMN = "key"
ACTIVATE_TILL_COLUMN = "activateTill"
SLIP_COLUMN = "slip"
REQUIRED_COLUMNS = (OFFER_ID_COLUMN, KEY_COLUMN)
COLUMNS = (*REQUIRED_COLUMNS, ACTIVATE_TILL_COLUMN, SLIP_COLUMN)


def read_key_file(path: Path) -> list[KeyRow]:
    """Every row of the file; ``InvalidKeyRows`` lists every problem (nothing is returned then)."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        try:
            return parse_key_csv(file)
        except UnicodeDecodeError as error:
            raise InvalidKeyRows(
                [RowProblem(None, f"the file is not UTF-8 text ({error.reason})")]
            ) from None


def parse_key_csv(lines: Iterable[str]) -> list[KeyRow]:
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise InvalidKeyRows([RowProblem(1, f"unreadable CSV: {error}")]) from None
    if header is None:
        raise InvalidKeyRows([RowProblem(None, "the file is empty: no header line")])
    columns = _columns(header)
    rows: list[KeyRow] = []
    problems: list[RowProblem] = []
    line = reader.line_num + 1  # where the next record starts
    width = len(columns)
    try:
        for record in reader:
            if len(record) > 1 or (record and record[0].strip()):  # a blank line is skipped
                if len(record) < width:  # the optional columns left off the end
                    record += [""] * (width - len(record))
                found = _row(record, columns, line)
                if isinstance(found, KeyRow):
                    rows.append(found)
                else:
                    problems.extend(found)
            line = reader.line_num + 1
    except csv.Error as error:
        problems.append(RowProblem(line, f"unreadable CSV: {error}"))
    if problems:
        raise InvalidKeyRows(problems)
    return rows


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each column is in a record; None for an optional column the header leaves out."""

    offer_id: int
    key: int
    activate_till: int | None
    slip: int | None
    count: int

    def __len__(self) -> int:
        return self.count


def _columns(header: list[str]) -> _Columns:
    names = [name.strip() for name in header]
    problems = []
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        problems.append(
            f"unknown column {', '.join(repr(n) for n in unknown)}; the columns are "
            f"{', '.join(COLUMNS)}"
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append(f"the header has no {' or '.join(missing)} column")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"column {', '.join(repeated)} appears twice")
    if problems:
        raise InvalidKeyRows([RowProblem(1, problem) for problem in problems])
    at = {name: index for index, name in enumerate(names)}
    return _Columns(
        at[OFFER_ID_COLUMN],
        at[KEY_COLUMN],
        at.get(ACTIVATE_TILL_COLUMN),
        at.get(SLIP_COLUMN),
        len(at),
    )


def _row(record: list[str], columns: _Columns, line: int) -> KeyRow | list[RowProblem]:
    if len(record) > len(columns):
        return [RowProblem(line, f"{len(record)} values; the header names {len(columns)} columns")]
    offer_id = record[columns.offer_id].strip()
    key = record[columns.key].strip()
    till_text = record[columns.activate_till].strip() if columns.activate_till is not None else ""
    slip = (record[columns.slip].strip() or None) if columns.slip is not None else None
    messages = offer_and_key_problems(offer_id, key)
    if slip is not None:
        messages += slip_problems(slip)
    activate_till = None
    if till_text:
        try:
            activate_till = parse_activate_till(till_text)
        except ValueError as error:
            messages.append(str(error))
    if messages:
        return [RowProblem(line, message) for message in messages]
    return KeyRow(offer_id, key, activate_till, slip, line)


# The export of delivered keys: one row per key, with the order item it went to.
EXPORT_COLUMNS = ("offerId", "key", "orderId", "itemId", "deliveredAt")


def write_delivered_csv(delivered: Iterable[DeliveredKey], file: TextIO) -> int:
    """The delivered keys as CSV (``EXPORT_COLUMNS``; ``deliveredAt`` in ISO 8601, UTC) into
    ``file``; how many rows."""
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for found in delivered:
        writer.writerow(
            (
                found.offer_id,
                found.key,
                found.order_id,
                found.item_id,
                found.delivered_at.isoformat().replace("+00:00", "Z"),
            )
        )
        count += 1
    return count
