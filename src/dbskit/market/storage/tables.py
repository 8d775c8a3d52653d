"""All tables, in one metadata. Migrations in ``market/storage/migrations`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)

from dbskit.database.values import UtcTimestamp
from dbskit.market.storage.types import UnitCodes

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The sandbox clock: real time plus this offset (one row, id 1). Shared by every instance.
sandbox_clock = Table(
    "sandbox_clock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_us", BigInteger, nullable=False),
    # How many times a full reset set the clock back to real time: an instance that reads a
    # higher number than it holds adopts the offset even though it is smaller (0015).
    Column("resets", BigInteger, nullable=False, server_default="0"),
)

# Delayed work on the sandbox clock (e-mail delivery, notification retries, ...).
scheduled_events = Table(
    "scheduled_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("kind", String(64), nullable=False),
    Column("due_at", UtcTimestamp, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("done_at", UtcTimestamp, nullable=True),
    Column("outcome", Text, nullable=True),
    Index("ix_scheduled_events_pending", "done_at", "due_at"),
)


# Ids of businesses and campaigns look like the Market's (large numbers) and never overlap, so a
# client that passes one where the other belongs gets a 404 instead of someone else's data.
BUSINESS_ID_START = 10_000_001
CAMPAIGN_ID_START = 21_000_001
_INT64_ID = BigInteger().with_variant(Integer, "sqlite")

businesses = Table(
    "businesses",
    metadata,
    Column("id", _INT64_ID, Identity(start=BUSINESS_ID_START), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    sqlite_autoincrement=True,
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", _INT64_ID, Identity(start=CAMPAIGN_ID_START), primary_key=True),
    Column("business_id", BigInteger, ForeignKey("businesses.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("push_url", String(2048), nullable=True),
    Column("push_auth_token", String(255), nullable=True),
    Column("push_auth_mode", String(16), nullable=False),
    Column("notification_url", String(2048), nullable=True),
    Column("cart_enabled", Boolean, nullable=False, default=True),
    # the Market closes the API of a store that shows no goods; the sandbox switches it.
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    Column("created_at", UtcTimestamp, nullable=False),
    Index("ix_campaigns_business_id", "business_id"),
    sqlite_autoincrement=True,
)

# Api-Key and OAuth tokens. Only a SHA-256 of the token is kept: the token itself is shown once.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("business_id", BigInteger, ForeignKey("businesses.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("scopes", JSON, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("expires_at", UtcTimestamp, nullable=True),
    Column("revoked_at", UtcTimestamp, nullable=True),
    Index("ix_api_tokens_business_id_kind", "business_id", "kind"),
)

# The demo business, campaign and full-access key made on first start (one row, id 1: the
# primary key is what stops two instances starting together from making two).
demo_access = Table(
    "demo_access",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("business_id", BigInteger, ForeignKey("businesses.id"), nullable=False),
    Column("campaign_id", BigInteger, ForeignKey("campaigns.id"), nullable=False),
    Column("token_id", BigInteger, ForeignKey("api_tokens.id"), nullable=False),
)

# The query log (the cabinet's "Query log", R-111): one row per Partner API call, credentials
# redacted, bodies cut at a configured size. Purged after the retention period.
query_log = Table(
    "query_log",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", UtcTimestamp, nullable=False),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("query", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("operation_id", String(64), nullable=True),
    Column("campaign_id", BigInteger, nullable=True),
    Column("business_id", BigInteger, nullable=True),
    Column("request_headers", JSON, nullable=False),
    Column("request_body", Text, nullable=False),
    Column("request_size", BigInteger, nullable=False),
    Column("request_truncated", Boolean, nullable=False),
    Column("response_headers", JSON, nullable=False),
    Column("response_body", Text, nullable=False),
    Column("response_size", BigInteger, nullable=False),
    Column("response_truncated", Boolean, nullable=False),
    # The sandbox's fault rule that answered (or delayed) the call, and its fault (0015).
    Column("fault_rule_id", BigInteger, nullable=True),
    Column("fault", String(32), nullable=True),
    # The order the call's path or body names (0016); NULL for a call that names none (getOrders)
    # and for the entries written before the column existed.
    Column("order_id", BigInteger, nullable=True),
    Index("ix_query_log_at", "at", "id"),
    Index("ix_query_log_campaign", "campaign_id", "at", "id"),
    # The cabinet's pages by order (entries that name one), operation and status (0016).
    Index(
        "ix_query_log_order",
        "order_id",
        "at",
        "id",
        sqlite_where=text("order_id IS NOT NULL"),
        postgresql_where=text("order_id IS NOT NULL"),
    ),
    Index("ix_query_log_operation", "operation_id", "at", "id", "campaign_id", "status"),
    Index(
        "ix_query_log_status",
        "status",
        "at",
        "id",
        "campaign_id",
        "operation_id",
        sqlite_where=text("status <> 200"),
        postgresql_where=text("status <> 200"),
    ),
)

# Orders of the Market side (R-095..R-112). Money is stored in kopecks (exact on both databases).
orders = Table(
    "orders",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("campaign_id", BigInteger, ForeignKey("campaigns.id"), nullable=False),
    Column("status", String(32), nullable=False),
    Column("substatus", String(64), nullable=True),
    Column("fake", Boolean, nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("updated_at", UtcTimestamp, nullable=False),
    Column("status_updated_at", UtcTimestamp, nullable=False),
    Column("processing_since", UtcTimestamp, nullable=True),
    Column("delivery_type", String(16), nullable=False),
    Column("delivery_service_id", BigInteger, nullable=True),
    Column("delivery_service_name", String(255), nullable=False),
    Column("dispatch_type", String(32), nullable=False),
    Column("region_id", BigInteger, nullable=True),
    Column("delivery_from_date", Date, nullable=True),
    Column("delivery_to_date", Date, nullable=True),
    Column("shipment_date", Date, nullable=True),
    Column("real_delivery_date", Date, nullable=True),
    Column("estimated", Boolean, nullable=False),
    Column("delivery_price_kopecks", BigInteger, nullable=False),
    Column("buyer_type", String(16), nullable=False),
    Column("currency", String(8), nullable=False),
    Column("payment_type", String(16), nullable=False),
    Column("payment_method", String(32), nullable=False),
    Column("tax_system", String(32), nullable=False),
    Column("has_cis", Boolean, nullable=False),
    Column("cancellation_requested_at", UtcTimestamp, nullable=True),
    Column("cancellation_request_substatus", String(64), nullable=True),
    Column("buyer_calls", JSON, nullable=False),
    Column("buyer_phone_unreachable", Boolean, nullable=False),
    # The current track (OQ-06): the newest of the order's ``order_tracks``, kept here as well so
    # that getOrder reads it without a join and delivery/track writes no second history row.
    Column("track_code", Text, nullable=True),
    Column("track_service_id", BigInteger, nullable=True),
    Column("external_order_id", Text, nullable=True),  # the seller's own id of the order
    # How a DIGITAL order reaches the buyer (DigitalGoodsDeliveryType); NULL for other orders.
    Column("digital_delivery_type", String(16), nullable=True),
    Column("steam_link", Text, nullable=True),  # the buyer's, for a STEAM_GIFT order
    # getOrders' and getBusinessOrders' pages and counts read this index alone (0014).
    Index(
        "ix_orders_listing",
        "campaign_id",
        "fake",
        "created_at",
        "id",
        "status",
        "substatus",
        "status_updated_at",
        "updated_at",
        "cancellation_requested_at",
        "shipment_date",
        "dispatch_type",
        "buyer_type",
        "has_cis",
        "estimated",
    ),
    Index("ix_orders_external_order_id", "external_order_id"),
    # The cabinet's list: every campaign's orders newest first, or one campaign's, then the
    # columns its filters read, so that a page walks the index alone (0016).
    Index(
        "ix_orders_cabinet",
        "created_at",
        "id",
        "campaign_id",
        "status",
        "substatus",
        "fake",
        "delivery_type",
        "has_cis",
        "cancellation_requested_at",
    ),
    Index(
        "ix_orders_cabinet_campaign",
        "campaign_id",
        "created_at",
        "id",
        "status",
        "substatus",
        "fake",
        "delivery_type",
        "has_cis",
        "cancellation_requested_at",
    ),
)

order_items = Table(
    "order_items",
    metadata,
    Column("order_id", BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("offer_id", String(255), nullable=False),
    Column("offer_name", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("price_kopecks", BigInteger, nullable=False),
    Column("vat", String(16), nullable=False),
    Column("required_instance_types", JSON, nullable=False),
    # PUT identifiers: the item's codes, one per unit in the order sent (R-035, OQ-08).
    Column("instances", UnitCodes, nullable=True),
    PrimaryKeyConstraint("order_id", "item_id"),
)

# What the seed methods keep on an order; rows go with their order.

# delivery/track: every track an order had, the newest being the current one (OQ-06), which the
# order's row repeats. Track codes have no documented length, so lookups use a hash of the code.
order_tracks = Table(
    "order_tracks",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("order_id", BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("campaign_id", BigInteger, nullable=False),
    Column("track_code", Text, nullable=False),
    Column("track_hash", String(64), nullable=False),
    Column("delivery_service_id", BigInteger, nullable=False),
    Column("set_at", UtcTimestamp, nullable=False),
    Index("ix_order_tracks_order", "order_id", "id"),
    Index("ix_order_tracks_campaign_hash", "campaign_id", "track_hash"),
)

# Everything the Market "sends": buyer e-mails and API notifications (GET /sandbox/outbox).
outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", _INT64_ID, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("campaign_id", BigInteger, nullable=False),
    Column("order_id", BigInteger, nullable=True),
    Column("payload", JSON, nullable=False),
    Column("notification_url", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("next_attempt_at", UtcTimestamp, nullable=True),
    Index("ix_outbox_messages_campaign_order", "campaign_id", "order_id"),
    # A page newest first (creation time, then id): of every campaign, one campaign, one order.
    Index("ix_outbox_messages_created", "created_at", "id"),
    Index("ix_outbox_messages_campaign_created", "campaign_id", "created_at", "id"),
    Index("ix_outbox_messages_order_created", "order_id", "created_at", "id"),
)

# One row per delivery attempt of a notification; (message, number) is unique: each attempt once.
outbox_attempts = Table(
    "outbox_attempts",
    metadata,
    Column("id", _INT64_ID, primary_key=True, autoincrement=True),
    Column(
        "message_id",
        _INT64_ID,
        ForeignKey("outbox_messages.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("scheduled_at", UtcTimestamp, nullable=False),
    Column("attempted_at", UtcTimestamp, nullable=False),
    Column("url", Text, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("result", String(16), nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("error_type", String(32), nullable=True),
    Column("error_subtype", String(32), nullable=True),
    Column("message", Text, nullable=True),
    Column("answer", Text, nullable=True),
    UniqueConstraint("message_id", "number"),
)

# deliverDigitalGoods: the keys as last accepted (one row per order; OQ-01 replaces it) and the
# e-mail's state (OQ-05, C-07). ``items`` is the merged payload: [{"id", "batches": [...]}].
# ``accepted_calls`` counts the calls that stored keys (the first and each replacement),
# ``repeated_calls`` the identical repeats that changed nothing (OQ-01).
digital_deliveries = Table(
    "digital_deliveries",
    metadata,
    Column(
        "order_id",
        BigInteger,
        ForeignKey("orders.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("digest", String(64), nullable=False),
    Column("items", JSON, nullable=False),
    Column("first_accepted_at", UtcTimestamp, nullable=False),
    Column("accepted_at", UtcTimestamp, nullable=False),
    Column("accepted_calls", Integer, nullable=False),
    Column("repeated_calls", Integer, nullable=False, server_default="0"),
    Column("late_by_us", BigInteger, nullable=True),  # past the 30-minute window (OQ-04)
    Column("email_due_at", UtcTimestamp, nullable=False),
    Column("emailed_at", UtcTimestamp, nullable=True),
    Column("email_failed", Boolean, nullable=False),  # C-07: sent through the chat instead
)

# Warnings about accepted calls on an order (deprecated fields, C-03; keys over the current
# spec's limit, C-04), written in the transaction of the call they describe.
order_warnings = Table(
    "order_warnings",
    metadata,
    Column("id", _INT64_ID, primary_key=True, autoincrement=True),
    Column("order_id", BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcTimestamp, nullable=False),
    Column("operation_id", String(64), nullable=False),
    Column("code", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_order_warnings_order", "order_id", "id"),
)

# Each order's status history (0016): one row per change of status or substatus, and one for the
# status it was placed in (no ``from``), in the transaction of the change. ``actor``: SELLER,
# MARKET, BUYER or SANDBOX (``storage.status_history.Actor``); ``at`` on the sandbox clock.
order_status_history = Table(
    "order_status_history",
    metadata,
    Column("id", _INT64_ID, primary_key=True, autoincrement=True),
    Column("order_id", BigInteger, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcTimestamp, nullable=False),
    Column("actor", String(16), nullable=False),
    Column("from_status", String(32), nullable=True),
    Column("from_substatus", String(64), nullable=True),
    Column("to_status", String(32), nullable=False),
    Column("to_substatus", String(64), nullable=True),
    Index("ix_order_status_history_order", "order_id", "id"),
)

# Faults the sandbox injects into Partner API calls (POST /sandbox/faults): which calls a rule
# matches (operation, and campaign or token), what it does (an answer, a dropped connection or
# added latency) and when (the next ``n`` calls, every ``n``th, or a seeded ``share``). ``calls``
# and ``injected`` are counted by conditional updates, exact across instances.
fault_rules = Table(
    "fault_rules",
    metadata,
    Column("id", _INT64_ID, primary_key=True, autoincrement=True),
    Column("operation_id", String(64), nullable=False),
    Column("campaign_id", BigInteger, nullable=True),
    Column("token_id", BigInteger, nullable=True),
    Column("fault", String(32), nullable=False),
    Column("latency_ms", Integer, nullable=True),
    Column("mode", String(8), nullable=False),
    Column("n", BigInteger, nullable=True),
    Column("share", Float, nullable=True),
    Column("seed", BigInteger, nullable=True),
    Column("calls", BigInteger, nullable=False, server_default="0"),
    Column("injected", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UtcTimestamp, nullable=False),
    # Ids never come back (SQLite would reuse them once every rule is deleted): the query log
    # names the rule that faulted a call by its id.
    sqlite_autoincrement=True,
)
