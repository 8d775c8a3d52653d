"""Reading a key file for the vault: every bad row reported by its line, nothing returned then."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dbskit.shop.storage.key_file import parse_key_csv, read_key_file, write_delivered_csv
from dbskit.shop.storage.key_rows import KEY_MAX_LENGTH, SLIP_MAX_LENGTH, InvalidKeyRows, KeyRow
from dbskit.shop.storage.vault import DeliveredKey


def problems_of(text: str) -> list[str]:
    with pytest.raises(InvalidKeyRows) as refused:
        parse_key_csv(io.StringIO(text))
    return [str(problem) for problem in refused.value.problems]


def test_rows_with_their_lines_and_optional_columns() -> None:
    text = (
        "offerId,key,activateTill,slip\n"
        "GAME-1, K-1 ,2031-01-31,<p>Enjoy</p>\n"
        "\n"
        'GAME-2,K-2,,"two\nlines"\n'
        "GAME-2,K-3\n"
    )
    assert parse_key_csv(io.StringIO(text)) == [
        KeyRow("GAME-1", "K-1", date(2031, 1, 31), "<p>Enjoy</p>", 2),
        KeyRow("GAME-2", "K-2", None, "two\nlines", 4),
        KeyRow("GAME-2", "K-3", None, None, 6),
    ]


def test_the_columns_may_come_in_any_order() -> None:
    assert parse_key_csv(io.StringIO("key,offerId\nK-1,GAME-1\n")) == [
        KeyRow("GAME-1", "K-1", line=2)
    ]


def test_every_bad_row_is_reported_by_its_line() -> None:
    text = (
        "offerId,key,activateTill,slip\n"
        "GAME-1,K-1\n"
        ",K-2\n"
        "GAME-1,\n"
        "GAME-1,K-4,31.01.2031\n"
        "GAME-1,K-5,2031-02-30\n"
        f"{'G' * 256},K-6\n"
        f"GAME-1,{'K' * (KEY_MAX_LENGTH + 1)}\n"
        f"GAME-1,K-8,,{'s' * (SLIP_MAX_LENGTH + 1)}\n"
        "GAME-1,K-9,,,extra\n"
    )
    assert problems_of(text) == [
        "line 3: offerId is missing",
        "line 4: key is missing",
        "line 5: activateTill '31.01.2031' is not a date in the form YYYY-MM-DD",
        "line 6: activateTill '2031-02-30' is not a calendar date",
        f"line 7: offerId '{'G' * 60}' does not match the Market's offerId pattern "
        "(1 to 255 characters, no control characters)",
        f"line 8: key is {KEY_MAX_LENGTH + 1} characters long; at most {KEY_MAX_LENGTH}",
        f"line 9: slip is {SLIP_MAX_LENGTH + 1} characters long; at most {SLIP_MAX_LENGTH}",
        "line 10: 5 values; the header names 4 columns",
    ]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (
            "offerId,code\n",
            "line 1: unknown column 'code'; the columns are offerId, key, activateTill, slip",
        ),
        ("offerId\n", "line 1: the header has no key column"),
        ("offerId,key,key\n", "line 1: column key appears twice"),
        ("", "line 1: the header has no offerId or key column"),  # no header at all
    ],
)
def test_a_bad_header_is_named(header: str, problem: str) -> None:
    assert problem in problems_of(header + "GAME-1,K-1\n")


def test_an_empty_file_is_refused() -> None:
    assert problems_of("") == ["the file is empty: no header line"]


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.csv"
    path.write_bytes(b"offerId,key\nGAME-1,\xff\xfe\n")
    with pytest.raises(InvalidKeyRows) as refused:
        read_key_file(path)
    assert "not UTF-8" in str(refused.value.problems[0])


def test_a_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "keys.csv"
    path.write_text("\ufeffofferId,key\nGAME-1,K-1\n", encoding="utf-8")
    assert read_key_file(path) == [KeyRow("GAME-1", "K-1", line=2)]


def test_the_export_lists_each_delivered_key() -> None:
    out = io.StringIO()
    at = datetime(2030, 3, 1, 12, 0, 1, tzinfo=UTC)
    count = write_delivered_csv([DeliveredKey("GAME-1", "K,1", 7, 70, at)], out)
    assert count == 1
    assert out.getvalue() == (
        'offerId,key,orderId,itemId,deliveredAt\nGAME-1,"K,1",7,70,2030-03-01T12:00:01Z\n'
    )
