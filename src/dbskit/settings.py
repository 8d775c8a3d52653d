"""One settings object. Every field is a ``DBSKIT_<NAME>`` variable and a ``--<name>`` flag.

Flags win over variables, variables over defaults. The switches that select one reading of an
open question (RULES.md, Conflicts and Open questions) are listed in docs/decisions.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dbskit.contract import limits
from dbskit.contract.operations import OPERATIONS_BY_ID, Profile
from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.hosts import is_loopback_host

DEFAULT_PORT = 8484
SQLITE_FILE_NAME = "dbskit.sqlite3"
# store_notify_allowlist: no source check at all.
NOTIFICATIONS_FROM_ANYWHERE = "any"
STORE_SQLITE_FILE_NAME = "store.sqlite3"  # the store's own state, beside the Market's file


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DBSKIT_", extra="ignore", frozen=True)

    # Where and how to serve.
    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(DEFAULT_PORT, ge=0, le=65535, description="TCP port.")
    workers: int = Field(1, ge=1, description="Server worker processes.")
    data_dir: Path = Field(
        Path(".dbskit"), description="Folder for the SQLite file and generated secrets."
    )
    database_url: str | None = Field(
        None, description="postgresql://... to use PostgreSQL; default: SQLite in the data dir."
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL",
        description=(
            "SQLite's PRAGMA synchronous. NORMAL: a power loss can undo the last commits, a "
            "crash of dbskit none. FULL: every commit waits for the disk."
        ),
    )
    sandbox_token: SecretStr | None = Field(
        None, description="Secret for the /sandbox endpoints (generated on loopback)."
    )
    log_level: str = Field("info", description="Server log level.")
    access_log: bool = Field(
        False, description="Log one line per request (uvicorn's access log; ?token= redacted)."
    )
    body_read_timeout: float = Field(
        limits.BODY_READ_TIMEOUT.total_seconds(),
        gt=0,
        description="Seconds a request body has to arrive in full before the call is answered "
        "408 (it is read before the call takes a parallel slot).",
    )

    # Which source sets the figures (RULES.md Conflicts): "seed" (default) or "2026".
    profile: Profile = Field(
        Profile.SEED, description="Figures of the seed documents or of the 2026 spec."
    )

    # Switches for the open questions (docs/decisions.md).
    strict_content_type: bool = Field(
        False, description="C-20: answer 415 Missing Content-Type instead of parsing JSON."
    )
    strict_marking_widths: bool = Field(
        False, description="C-09: check RNPT/GTD digit widths 8/6/7[/3]."
    )
    strict_country_code: bool = Field(False, description="C-10: require countryCode with gtd.")
    strict_track_codes: bool = Field(
        False, description="OQ-06: refuse a track code used on another order."
    )
    lenient_key_counts: bool = Field(
        False, description="OQ-02: accept more digital keys than units."
    )
    email_failure: bool = Field(
        False, description="C-07: simulate an undeliverable key e-mail (chat fallback)."
    )
    cancel_late_digital: bool = Field(
        False, description="OQ-04: cancel digital orders whose keys came after 30 minutes."
    )
    digital_delivery_delay_seconds: float = Field(
        5.0, ge=0, description="OQ-05: delay before a digital order becomes DELIVERED."
    )
    deprecations: bool | None = Field(
        None,
        description="OQ-29: getOrder and getOrders fail as the 2026 spec retires them, on the "
        "sandbox clock: some calls from the degradation date, all from the shutdown date "
        "(default off; on under --profile 2026).",
    )
    deprecation_fail_every: int = Field(
        10,
        ge=1,
        description="OQ-29: between the degradation and shutdown dates, every Nth call of a "
        "token to a deprecated method fails.",
    )

    # Access (R-076: token edits reach the real Market within 10 minutes; we are much faster).
    access_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=limits.TOKEN_EDITS_TAKE_EFFECT_WITHIN.total_seconds(),
        description=(
            "How long a process trusts a token or campaign owner it read from the database; "
            "revocations made through the same process apply at once. 0 turns the cache off."
        ),
    )

    # Limits (R-083..R-086, C-01, C-02, OQ-15).
    limit_overrides: dict[str, int] = Field(
        default_factory=dict, description='Hourly limits per operationId, JSON: {"getOrder": 50}.'
    )
    parallel_limit: int | None = Field(
        None,
        ge=1,
        description="Parallel requests per token for every operation "
        "(default 2, R-086; 6 for some methods under --profile 2026, C-02).",
    )
    redis_url: str | None = Field(
        None, description="redis://... to share limit counters between instances."
    )

    # API notifications (R-113..R-117, C-13, OQ-25).
    notification_timeout_seconds: float = Field(
        limits.NOTIFICATION_TIMEOUT.total_seconds(),
        gt=0,
        description="R-116: how long the store has to answer a notification",
    )
    ping_timeout_seconds: float = Field(
        limits.NOTIFICATION_TIMEOUT.total_seconds(),
        gt=0,
        description="C-13: how long the store has to answer a PING (the 2026 spec says 1)",
    )
    notification_time_factor: float = Field(
        1.0,
        gt=0,
        le=1,
        description=(
            "OQ-25: scales the R-116 retry schedule (intervals, phases and the 14-day limit); "
            "1 keeps the documented timing, 0.01 runs it a hundred times faster"
        ),
    )

    # Checkout through the store: the Market's POST /cart (R-037, OQ-16).
    cart_deadline_seconds: float = Field(
        limits.CART_DEADLINE.total_seconds(),
        gt=0,
        description="R-037: how long the Market waits for the store's POST /cart answer on a "
        "sandbox checkout (the connection itself must open within 1 s)",
    )

    # The query log and background work.
    query_log_retention_days: float = Field(
        limits.QUERY_LOG_RETENTION.days, gt=0, description="R-111: days the query log is kept."
    )
    query_log_flush_seconds: float = Field(
        0.15, gt=0, description="How often buffered query-log entries are written."
    )
    query_log_body_max_bytes: int = Field(
        limits.QUERY_LOG_BODY_MAX_BYTES,
        ge=0,
        description="Bytes of each request and answer body the query log keeps.",
    )
    test_order_retention_days: float = Field(
        limits.TEST_ORDER_RETENTION.days, gt=0, description="R-111: days test orders are kept."
    )
    clock_refresh_seconds: float = Field(
        0.25, gt=0, description="How often an instance re-reads the shared sandbox clock."
    )
    scheduler_interval_seconds: float = Field(
        0.5, gt=0, description="How often due events are run as real time passes."
    )

    # The store service (POST /cart): `dbskit store serve`, or mounted at /store by `dbskit serve`.
    store_data: Path | None = Field(
        None,
        description="the store's settings file (TOML or YAML, docs/store-data.md); "
        "the demo store when unset",
    )
    store_token: SecretStr | None = Field(
        None,
        description="the push token the Market sends with every call (R-039); generated and "
        "kept in the data dir on loopback when unset",
    )
    store_auth_mode: PushAuthMode = Field(
        PushAuthMode.HEADER,
        description="where the push token travels: HEADER (Authorization) or URL "
        "(auth-token query parameter), as set in the seller account (R-039)",
    )
    store_time_zone: str | None = Field(
        None, description="the store's time zone, overriding the settings file (IANA name)"
    )
    store_database_url: str | None = Field(
        None,
        description="postgresql://... for the store's own state (notifications, orders, key "
        "vault, jobs); default: store.sqlite3 in the data dir",
    )
    store_cart_budget_seconds: float = Field(
        limits.CART_DEADLINE.total_seconds() - 0.5,
        gt=0,
        le=limits.CART_DEADLINE.total_seconds(),
        description="how long computing a /cart answer may take before the guard answers "
        "from its last answer for the same basket (R-037: the Market waits 5.5 s in all)",
    )

    # The store's side of the Market: POST /notification and the autopilot (docs/decisions.md,
    # "The store's notifications and key vault").
    store_market_url: str = Field(
        f"http://127.0.0.1:{DEFAULT_PORT}",
        description="the Partner API the store calls: dbskit serve by default, or the "
        "Market's own address",
    )
    store_api_key: SecretStr | None = Field(
        None, description="the store's Api-Key for the Partner API; without it no order is acted on"
    )
    store_business_id: int | None = Field(
        None,
        ge=1,
        description="the cabinet (businessId) whose orders the store reads with "
        "getBusinessOrders; without it order jobs wait",
    )
    store_cancellation_policy: Literal["accept", "seller"] = Field(
        "seller",
        description="a buyer's cancellation request: accept it at once, or list it for the seller",
    )
    store_notify_allowlist: str | None = Field(
        None,
        description="comma-separated addresses or networks the store takes notifications from; "
        "default the Market's (R-113) and loopback; 'any' takes them from everywhere",
    )
    store_slip_templates: Path | None = Field(
        None,
        description="JSON file of activation instructions per offerId ('*' for the rest), "
        "HTML with {offer_name} {offer_id} {order_id} {count}",
    )
    # 120 s: longer than an order job takes with the client's own retries (a parallel-limit 420
    # waited out, 5xx retried), so a live worker never loses its job to another; a store killed
    # mid-job leaves its job this long before it is redone.
    store_job_lease_seconds: float = Field(
        120.0,
        gt=0,
        description="how long a claimed store job is the claimer's alone; a job of a store "
        "killed mid-way is redone after it",
    )

    @field_validator("store_notify_allowlist")
    @classmethod
    def _networks(cls, allowlist: str | None) -> str | None:
        import ipaddress

        if allowlist is None or allowlist.strip().lower() == NOTIFICATIONS_FROM_ANYWHERE:
            return allowlist
        for entry in allowlist.split(","):
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry.strip()!r} is not an address or a network") from None
        return allowlist

    @field_validator("limit_overrides")
    @classmethod
    def _known_operations(cls, overrides: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(overrides) - set(OPERATIONS_BY_ID))
        if unknown:
            raise ValueError(
                f"unknown operationId {', '.join(unknown)}; known: {', '.join(OPERATIONS_BY_ID)}"
            )
        negative = sorted(name for name, value in overrides.items() if value < 0)
        if negative:
            raise ValueError(f"limits must not be negative: {', '.join(negative)}")
        return overrides

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / SQLITE_FILE_NAME).resolve()}"

    @property
    def resolved_store_database_url(self) -> str:
        if self.store_database_url:
            return normalise_database_url(self.store_database_url)
        return f"sqlite:///{(self.data_dir / STORE_SQLITE_FILE_NAME).resolve()}"

    @property
    def resolved_query_log_url(self) -> str:
        return query_log_url(self.resolved_database_url)

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    def to_env(self) -> dict[str, str]:
        """The settings as DBSKIT_* variables, for server worker processes."""
        env: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            if value is None:
                continue
            secret = getattr(self, name)
            if isinstance(secret, SecretStr):
                value = secret.get_secret_value()
            env[f"DBSKIT_{name.upper()}"] = _env_value(value)
        return env


def _env_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def normalise_database_url(url: str) -> str:
    """``postgresql://`` means psycopg 3, the driver dbskit ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


QUERY_LOG_SUFFIX = ".query-log"  # dbskit.sqlite3 -> dbskit.query-log.sqlite3


def query_log_url(database_url: str) -> str:
    """Where the query log is kept. On SQLite a file of its own beside the database's
    (docs/decisions.md, Query log); on PostgreSQL the database itself."""
    prefix = "sqlite:///"
    if not database_url.startswith(prefix) or database_url == prefix:
        return database_url
    path = Path(database_url[len(prefix) :])
    return prefix + str(path.with_name(path.stem + QUERY_LOG_SUFFIX + path.suffix))
