"""``dbskit sandbox load FILE``: a scenario file (``POST /sandbox/scenarios``) from the shell.

Like the other sandbox commands (``cli/sandbox.py``), it sends one request and prints the JSON
answer (the name -> id map, keys' secrets included); a refused file prints the error envelope on
stderr and exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from dbskit.cli._tokens import SANDBOX_TOKEN_FILE
from dbskit.cli.sandbox import (
    DEFAULT_DATA_DIR,
    DEFAULT_URL,
    TIMEOUT_SECONDS,
    DataDir,
    SandboxToken,
    Url,
)
from dbskit.private_files import read_private

# The file's format, from its name; the server reads each as its Content-Type says.
CONTENT_TYPES: Final = {
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".json": "application/json",
    ".toml": "application/toml",
}

ScenarioFile = Annotated[
    Path,
    typer.Argument(
        exists=True,
        dir_okay=False,
        readable=True,
        help="A scenario file: .yaml/.yml, .json or .toml (see examples/).",
    ),
]


def register(sandbox: typer.Typer) -> None:
    """Add ``load`` to ``dbskit sandbox``."""
    sandbox.command("load")(load_scenario)


def load_scenario(
    file: ScenarioFile,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Load a scenario file: businesses, campaigns, keys and orders, all or nothing."""
    content_type = CONTENT_TYPES.get(file.suffix.lower())
    if content_type is None:
        known = ", ".join(CONTENT_TYPES)
        typer.echo(f"dbskit: {file}: the file's name must end in one of {known}", err=True)
        raise typer.Exit(2)
    token = sandbox_token or read_private(data_dir / SANDBOX_TOKEN_FILE)
    if token is None:
        typer.echo(
            "dbskit: no sandbox token: pass --sandbox-token, set DBSKIT_SANDBOX_TOKEN or "
            f"point --data-dir at the server's data dir (no {data_dir / SANDBOX_TOKEN_FILE})",
            err=True,
        )
        raise typer.Exit(2)
    import httpx  # here, not at the top: ``dbskit serve`` starts faster without it

    try:
        # Not ``cli.sandbox._send``: this body is not JSON, and its Content-Type says what it is.
        response = httpx.post(
            url.rstrip("/") + "/sandbox/scenarios",
            content=file.read_bytes(),
            headers={"Sandbox-Token": token, "Content-Type": content_type},
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        typer.echo(f"dbskit: cannot reach {url}: {exc}", err=True)
        raise typer.Exit(2) from None
    if response.is_success:
        typer.echo(response.text)
        return
    typer.echo(response.text, err=True)
    raise typer.Exit(1)
