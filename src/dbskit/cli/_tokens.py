"""Tokens a server needs: given explicitly, or generated once on loopback and kept in the data
dir (mode 0600), because whoever holds them can drive the server."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from pydantic import SecretStr

from dbskit.private_files import write_private

if TYPE_CHECKING:
    from dbskit.settings import Settings

SANDBOX_TOKEN_FILE = "sandbox-token"  # noqa: S105 - a file name
STORE_TOKEN_FILE = "store-token"  # noqa: S105 - a file name


class RefusedToServe(Exception):
    """Serving as asked would expose a control plane without a token chosen by the operator."""


def with_token(settings: Settings, field: str, file_name: str, variable: str) -> Settings:
    """``settings`` with ``field`` set: as given, else kept in ``data_dir/file_name``.

    An empty or blank token, given or read from the file, is refused: an empty header would
    match it.
    """
    flag = "--" + field.replace("_", "-")
    given: SecretStr | None = getattr(settings, field)
    if given is not None:
        if not given.get_secret_value().strip():
            raise RefusedToServe(
                f"refusing to serve: {flag} ({variable}) is empty or blank; give a token, or "
                "leave it unset on a loopback host to have one generated"
            )
        return settings
    if not settings.is_loopback:
        raise RefusedToServe(
            f"refusing to serve on non-loopback host {settings.host!r} without an explicit "
            f"token: set {variable} (or {flag})"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / file_name
    if path.exists():
        token = path.read_text().strip()
        if not token:
            raise RefusedToServe(
                f"refusing to serve: the token file {path} is empty or blank; write a token "
                f"into it, or delete it to have one generated ({flag} or {variable} give one too)"
            )
    else:
        token = secrets.token_urlsafe(24)
        write_private(path, token + "\n")
    return settings.model_copy(update={field: SecretStr(token)})


def sandbox_token_for(settings: Settings) -> Settings:
    return with_token(settings, "sandbox_token", SANDBOX_TOKEN_FILE, "DBSKIT_SANDBOX_TOKEN")


def store_token_for(settings: Settings) -> Settings:
    return with_token(settings, "store_token", STORE_TOKEN_FILE, "DBSKIT_STORE_TOKEN")


def secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""
