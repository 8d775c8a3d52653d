"""``dbskit store keys import FILE | status | export``: the store's key vault from the shell.

Each command opens the store's own database (``--data-dir`` / ``--store-database-url``, as
``dbskit store serve`` does), migrating it first. Exit codes: 0 done, 1 the file was refused
(nothing imported), 2 a usage or settings error.
"""

# No ``from __future__ import annotations``: ``with_settings_options`` hands the command's own
# parameters to Typer as they are, and Typer needs their annotations evaluated.
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from dbskit.cli._options import with_settings_options
from dbskit.settings import Settings

# The options every keys command takes: where the store's database is.
STORE_DATABASE_OPTIONS = {"data_dir", "store_database_url", "sqlite_synchronous"}
# ``keys status`` warns about an offer with fewer keys available than this: a few orders' worth.
DEFAULT_LOW_STOCK = 10
# Problems and skipped lines shown for a refused or partly skipped file; the rest are counted.
SHOWN_PROBLEMS = 50
SHOWN_DUPLICATE_LINES = 20
REFUSED = 1

app = typer.Typer(
    name="keys",
    help="The key vault: import digital keys, see the stock, export what was delivered.",
    no_args_is_help=True,
)


@app.command("import")
@with_settings_options(STORE_DATABASE_OPTIONS)
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="CSV with the header offerId,key,activateTill,slip (the last two optional).",
        ),
    ],
    *,
    settings: Settings,
) -> None:
    """Add the file's keys to the vault: all of them, or none when any row is refused."""
    from dbskit.shop.storage.database import open_store_database
    from dbskit.shop.storage.key_file import read_key_file
    from dbskit.shop.storage.key_rows import InvalidKeyRows
    from dbskit.shop.storage.vault import import_keys

    try:
        rows = read_key_file(file)
    except InvalidKeyRows as refused:
        _refuse(file, refused.problems)
    db = open_store_database(settings)
    try:
        report = import_keys(db, rows)
    except InvalidKeyRows as refused:  # read_key_file checks the same: kept for safety's sake
        _refuse(file, refused.problems)
    finally:
        db.dispose()
    typer.echo(f"imported {report.imported} keys from {file}")
    if report.duplicates:
        lines = [found.line for found in report.duplicates if found.line is not None]
        shown = ", ".join(str(line) for line in lines[:SHOWN_DUPLICATE_LINES])
        more = len(lines) - SHOWN_DUPLICATE_LINES
        typer.echo(
            f"skipped {len(report.duplicates)} duplicate keys (already in the vault for their "
            f"offer, or repeated in the file): line {shown}"
            + (f" and {more} more" if more > 0 else "")
        )


def _refuse(file: Path, problems: Sequence[object]) -> NoReturn:
    typer.echo(f"dbskit: {file}: {len(problems)} problem(s), nothing imported:", err=True)
    for problem in problems[:SHOWN_PROBLEMS]:
        typer.echo(f"  {problem}", err=True)
    if len(problems) > SHOWN_PROBLEMS:
        typer.echo(f"  ... and {len(problems) - SHOWN_PROBLEMS} more", err=True)
    raise typer.Exit(REFUSED)


@app.command("status")
@with_settings_options(STORE_DATABASE_OPTIONS)
def status_command(
    *,
    low_stock: Annotated[
        int,
        typer.Option(
            "--low-stock",
            min=0,
            help="Warn about an offer with fewer keys available than this.",
        ),
    ] = DEFAULT_LOW_STOCK,
    settings: Settings,
) -> None:
    """Keys per offer: available, reserved for orders being delivered, delivered."""
    from dbskit.shop.storage.database import open_store_database
    from dbskit.shop.storage.vault import stock

    db = open_store_database(settings)
    try:
        offers = stock(db, low_stock)
    finally:
        db.dispose()
    if not offers:
        typer.echo("the vault is empty: add keys with `dbskit store keys import FILE`")
        return
    width = max(len("offerId"), *(len(offer.offer_id) for offer in offers))
    typer.echo(f"{'offerId':<{width}}  {'available':>9}  {'reserved':>9}  {'delivered':>9}")
    for offer in offers:
        typer.echo(
            f"{offer.offer_id:<{width}}  {offer.available:>9}  {offer.reserved:>9}"
            f"  {offer.delivered:>9}" + ("  low stock" if offer.low else "")
        )
    for offer in offers:
        if offer.low:
            typer.echo(
                f"warning: offer {offer.offer_id} has {offer.available} keys available "
                f"(fewer than {low_stock})",
                err=True,
            )


@app.command("export")
@with_settings_options(STORE_DATABASE_OPTIONS)
def export_command(
    *,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="CSV file to write: offerId,key,orderId,itemId,deliveredAt.",
        ),
    ],
    settings: Settings,
) -> None:
    """Write every delivered key with the order and item it went to (readable by you alone)."""
    import io

    from dbskit.private_files import write_private
    from dbskit.shop.storage.database import open_store_database
    from dbskit.shop.storage.key_file import write_delivered_csv
    from dbskit.shop.storage.vault import delivered

    db = open_store_database(settings)
    try:
        text = io.StringIO()
        count = write_delivered_csv(delivered(db), text)
    finally:
        db.dispose()
    try:
        write_private(output, text.getvalue())
    except OSError as error:
        typer.echo(f"dbskit: cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"exported {count} delivered keys to {output}")
