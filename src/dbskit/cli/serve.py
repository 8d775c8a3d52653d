"""``dbskit serve``: the Market emulator with its sandbox, on one port."""

from __future__ import annotations

import os
import secrets

import typer
from pydantic import SecretStr

from dbskit.market.runtime import Runtime
from dbskit.settings import Settings
from dbskit.storage.private_files import write_private

SANDBOX_TOKEN_FILE = "sandbox-token"  # noqa: S105 - a file name


_NO_DEMO_KEY = "(none: the demo business already holds 30 keys; revoke one and restart)"


class RefusedToServe(Exception):
    """Serving as asked would expose the sandbox control plane."""


def sandbox_token_for(settings: Settings) -> Settings:
    """On loopback a token is generated once and kept in the data dir; elsewhere it must be
    given explicitly, because whoever holds it can move the clock and read every request."""
    if settings.sandbox_token is not None:
        return settings
    if not settings.is_loopback:
        raise RefusedToServe(
            f"refusing to serve on non-loopback host {settings.host!r} without an explicit "
            "sandbox token: set DBSKIT_SANDBOX_TOKEN (or --sandbox-token)"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / SANDBOX_TOKEN_FILE
    if path.exists():
        token = path.read_text().strip()
    else:
        token = secrets.token_urlsafe(24)
        write_private(path, token + "\n")
    return settings.model_copy(update={"sandbox_token": SecretStr(token)})


def serve(settings: Settings) -> None:
    try:
        settings = sandbox_token_for(settings)
    except RefusedToServe as exc:
        typer.echo(f"dbskit: {exc}", err=True)
        raise typer.Exit(2) from None
    runtime = Runtime.build(settings)
    runtime.prepare()
    runtime.db.dispose()

    token = settings.sandbox_token.get_secret_value() if settings.sandbox_token else ""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    typer.echo(f"dbskit Market emulator on http://{host}:{settings.port}")
    typer.echo(f"  profile        {settings.profile.value}")
    typer.echo(f"  database       {_redacted(settings.resolved_database_url)}")
    typer.echo(f"  Sandbox-Token  {token}")
    if runtime.demo is not None:
        demo = runtime.demo
        typer.echo(f"  demo business  {demo.business_id}, campaign {demo.campaign_id}")
        typer.echo(f"  demo Api-Key   {demo.api_key or _NO_DEMO_KEY}")

    import uvicorn

    os.environ.update(settings.to_env())
    uvicorn.run(
        "dbskit.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level=settings.log_level,
        lifespan="on",
    )


def _redacted(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
