"""The demo business, campaign and full-access Api-Key, made on first start.

The database keeps only the key's hash, so the key itself lives in ``<data dir>/demo-api-key``
(mode 0600, like the sandbox token) and ``dbskit serve`` prints it at every start. The demo
campaign's push calls go to this server's store service (``/store``) with its push token. One row
of ``demo_access`` (primary key 1) marks the demo: instances starting together take the write lock
in turn and the later ones find it. When the key in the file no longer opens the stored token
(the file was lost, the data dir is another one, the key was revoked), the demo key is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dbskit.clock import Clock
from dbskit.contract.errors import BadRequest
from dbskit.contract.operations import Scope
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.database.db import Database, Transaction
from dbskit.market.domain import tokens
from dbskit.market.domain.access import CredentialKind
from dbskit.market.services.access import issue_token
from dbskit.market.storage import access as store
from dbskit.market.storage.demo import DemoRecord, insert_demo, load_demo, lock_demo, set_demo_token
from dbskit.private_files import read_private, write_private

DEMO_KEY_FILE = "demo-api-key"
DEMO_BUSINESS_NAME = "Demo business"
DEMO_CAMPAIGN_NAME = "Demo store"
DEMO_SCOPES = frozenset({Scope.ALL_METHODS})
STORE_PATH = "/store"  # where the store service answers the Market's push calls


@dataclass(frozen=True, slots=True)
class DemoAccess:
    business_id: int
    campaign_id: int
    token_id: int
    api_key: str | None  # None when no key could be issued (the business holds 30 already)


def default_push_url(host: str, port: int) -> str:
    """The store service of this same server; a wildcard bind address is reached on loopback."""
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - naming the wildcard, not binding to it
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{STORE_PATH}"


@dataclass(frozen=True, slots=True)
class DemoPush:
    """Where and how the Market reaches the demo store: this server's own store service."""

    url: str
    auth_token: str | None
    auth_mode: PushAuthMode = PushAuthMode.HEADER


def ensure_demo(*, db: Database, clock: Clock, data_dir: Path, push: DemoPush) -> DemoAccess:
    key_file = data_dir / DEMO_KEY_FILE
    with db.write() as conn:
        lock_demo(conn)
        stored = load_demo(conn)
        if stored is None:
            return _create(conn, clock=clock, key_file=key_file, push=push)
        # The demo store follows this server's port and push token from start to start.
        store.set_campaign_push(
            conn,
            stored.campaign_id,
            push_url=push.url,
            push_auth_token=push.auth_token,
            push_auth_mode=push.auth_mode.value,
        )
        current = DemoAccess(
            stored.business_id, stored.campaign_id, stored.token_id, read_private(key_file)
        )
        if current.api_key is not None and _opens(conn, current.api_key, current.token_id):
            return current
        return _replace_key(conn, clock=clock, key_file=key_file, current=current)


def _create(conn: Transaction, *, clock: Clock, key_file: Path, push: DemoPush) -> DemoAccess:
    now = clock.now()
    business_id = store.insert_business(conn, name=DEMO_BUSINESS_NAME, now=now)
    campaign_id = store.insert_campaign(
        conn,
        business_id=business_id,
        name=DEMO_CAMPAIGN_NAME,
        push_url=push.url,
        push_auth_token=push.auth_token,
        push_auth_mode=push.auth_mode.value,
        notification_url=None,
        now=now,
    )
    issued = issue_token(
        conn, clock=clock, business_id=business_id, kind=CredentialKind.API_KEY, scopes=DEMO_SCOPES
    )
    insert_demo(conn, DemoRecord(business_id, campaign_id, issued.token_id))
    # Written before the commit: an instance waiting for the lock reads it right after.
    write_private(key_file, issued.secret + "\n")
    return DemoAccess(business_id, campaign_id, issued.token_id, issued.secret)


def _replace_key(
    conn: Transaction, *, clock: Clock, key_file: Path, current: DemoAccess
) -> DemoAccess:
    store.revoke_token(conn, current.token_id, now=clock.now())
    try:
        issued = issue_token(
            conn,
            clock=clock,
            business_id=current.business_id,
            kind=CredentialKind.API_KEY,
            scopes=DEMO_SCOPES,
        )
    except BadRequest:
        # The business already holds 30 other keys: serve without a demo key.
        return DemoAccess(current.business_id, current.campaign_id, current.token_id, None)
    set_demo_token(conn, issued.token_id)
    write_private(key_file, issued.secret + "\n")
    return DemoAccess(current.business_id, current.campaign_id, issued.token_id, issued.secret)


def _opens(conn: Transaction, key: str, token_id: int) -> bool:
    grant = store.grant_by_hash(conn, tokens.fingerprint(key))
    return grant is not None and grant.token_id == token_id and grant.revoked_at is None
