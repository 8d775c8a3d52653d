"""``dbskit store keys import | status | export``: what the seller types, its output and exit
codes, on the store's own database in a temporary data dir."""

from __future__ import annotations

import csv
import stat
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from dbskit.cli import app
from dbskit.cli.store_keys import DEFAULT_LOW_STOCK
from dbskit.settings import Settings
from dbskit.shop.storage import vault
from dbskit.shop.storage.database import open_store_database

runner = CliRunner()
AT = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def keys(*command: str, data_dir: Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["store", "keys", *command, "--data-dir", str(data_dir)])
    return result.exit_code, result.stdout, result.stderr


def key_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "keys.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_then_status(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rows = "".join(f"GAME-1,K-{n}\n" for n in range(DEFAULT_LOW_STOCK)) + "GAME-2,G-1,2031-01-31\n"
    code, out, _ = keys(
        "import", key_file(tmp_path, "offerId,key,activateTill\n" + rows), data_dir=data
    )
    assert code == 0
    assert out == f"imported {DEFAULT_LOW_STOCK + 1} keys from {tmp_path / 'keys.csv'}\n"
    code, out, err = keys("status", data_dir=data)
    assert code == 0
    assert out.splitlines() == [
        "offerId  available   reserved  delivered",
        f"GAME-1          {DEFAULT_LOW_STOCK}          0          0",
        "GAME-2           1          0          0  low stock",
    ]
    assert err == f"warning: offer GAME-2 has 1 keys available (fewer than {DEFAULT_LOW_STOCK})\n"
    code, out, err = keys("status", "--low-stock", "1", data_dir=data)
    assert (code, err) == (0, "")
    assert "low stock" not in out


def test_a_second_import_skips_the_keys_already_there(tmp_path: Path) -> None:
    data = tmp_path / "data"
    keys("import", key_file(tmp_path, "offerId,key\nGAME-1,K-1\n"), data_dir=data)
    code, out, _ = keys(
        "import",
        key_file(tmp_path, "offerId,key\nGAME-1,K-1\nGAME-1,K-2\nGAME-1,K-2\n"),
        data_dir=data,
    )
    assert code == 0
    assert out.splitlines() == [
        f"imported 1 keys from {tmp_path / 'keys.csv'}",
        "skipped 2 duplicate keys (already in the vault for their offer, or repeated in the "
        "file): line 2, 4",
    ]


def test_a_file_with_a_bad_row_imports_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = key_file(tmp_path, "offerId,key,activateTill\nGAME-1,K-1\nGAME-1,K-2,tomorrow\n,K-3\n")
    code, out, err = keys("import", path, data_dir=data)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"dbskit: {path}: 2 problem(s), nothing imported:",
        "  line 3: activateTill 'tomorrow' is not a date in the form YYYY-MM-DD",
        "  line 4: offerId is missing",
    ]
    code, out, _ = keys("status", data_dir=data)
    assert (code, out) == (0, "the vault is empty: add keys with `dbskit store keys import FILE`\n")


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = keys("import", str(tmp_path / "absent.csv"), data_dir=tmp_path / "data")
    assert code == 2
    assert "does not exist" in err


def test_export_writes_the_delivered_keys_for_the_owner_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    keys("import", key_file(tmp_path, "offerId,key\nGAME-1,K-1\nGAME-1,K-2\n"), data_dir=data)
    db = open_store_database(Settings(data_dir=data))
    try:
        with db.write() as tx:
            vault.reserve(tx, order_id=7, item_id=70, offer_id="GAME-1", count=1)
            vault.mark_delivered(tx, 7, AT)
    finally:
        db.dispose()
    output = tmp_path / "delivered.csv"
    code, out, _ = keys("export", "--output", str(output), data_dir=data)
    assert (code, out) == (0, f"exported 1 delivered keys to {output}\n")
    with output.open(newline="") as file:
        assert list(csv.DictReader(file)) == [
            {
                "offerId": "GAME-1",
                "key": "K-1",
                "orderId": "7",
                "itemId": "70",
                "deliveredAt": "2030-03-01T12:00:00Z",
            }
        ]
    assert stat.S_IMODE(output.stat().st_mode) == 0o600


def test_the_store_database_url_chooses_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    result = runner.invoke(
        app,
        [
            "store",
            "keys",
            "import",
            key_file(tmp_path, "offerId,key\nGAME-1,K-1\n"),
            "--store-database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "elsewhere.sqlite3").is_file()
