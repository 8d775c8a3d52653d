"""The store's tables. Every name starts with ``store_`` so that the store may share one
PostgreSQL database with the Market without a clash; the migrations keep their own version table
(``migrations.VERSION_TABLE``) for the same reason."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from dbskit.contract import limits
from dbskit.database.values import UtcTimestamp

metadata = MetaData()

# 64-bit ids on PostgreSQL; SQLite's INTEGER PRIMARY KEY is its rowid (also 64-bit).
ID = BigInteger().with_variant(Integer, "sqlite")

# Where a key stands. A key leaves AVAILABLE for one order item and never comes back to stock
# once DELIVERED.
KEY_AVAILABLE = "AVAILABLE"
KEY_RESERVED = "RESERVED"
KEY_DELIVERED = "DELIVERED"

# A job is PENDING until a worker finishes it (DONE); a lease marks the worker running it.
JOB_PENDING = "PENDING"
JOB_DONE = "DONE"

NOTIFICATION_TYPE_MAX_LENGTH = 64  # ours: the spec's NotificationType names are shorter
DEDUP_KEY_MAX_LENGTH = 255  # ours: type, ids and time of a notification
JOB_KIND_MAX_LENGTH = 64  # ours
JOB_KEY_MAX_LENGTH = 255  # ours: kind and the ids it acts on
REASON_MAX_LENGTH = 1_000  # ours: a line for the seller, cut to fit
STATUS_MAX_LENGTH = 64  # ours: OrderStatus / OrderSubstatus names

notifications = Table(
    "store_notifications",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("dedup_key", String(DEDUP_KEY_MAX_LENGTH), nullable=False, unique=True),
    Column("type", String(NOTIFICATION_TYPE_MAX_LENGTH), nullable=False),
    Column("order_id", BigInteger, nullable=True),
    Column("campaign_id", BigInteger, nullable=True),
    Column("body", JSON, nullable=False),
    Column("received_at", UtcTimestamp, nullable=False),
    Index("ix_store_notifications_order", "order_id"),
)

orders = Table(
    "store_orders",
    metadata,
    Column("order_id", BigInteger, primary_key=True, autoincrement=False),
    Column("campaign_id", BigInteger, nullable=False),
    Column("status", String(STATUS_MAX_LENGTH), nullable=False),
    Column("substatus", String(STATUS_MAX_LENGTH), nullable=True),
    Column("delivery_type", String(32), nullable=True),
    Column("created_at", UtcTimestamp, nullable=True),
    Column("keys_due_at", UtcTimestamp, nullable=True),
    Column("delivered_at", UtcTimestamp, nullable=True),
    Column("late", Boolean, nullable=False, default=False),
    Column("needs_seller", String(REASON_MAX_LENGTH), nullable=True),
    Column("note", Text, nullable=True),
    Index("ix_store_orders_needs_seller", "needs_seller"),
)

keys = Table(
    "store_keys",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("offer_id", String(limits.CART_OFFER_ID_MAX_LENGTH), nullable=False),
    Column("key", String(limits.DIGITAL_CODE_MAX_LENGTH_2026), nullable=False),
    Column("activate_till", String(10), nullable=True),  # YYYY-MM-DD, as the Market takes it
    Column("slip", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("order_id", BigInteger, nullable=True),
    Column("item_id", BigInteger, nullable=True),
    Column("imported_at", UtcTimestamp, nullable=False),
    Column("reserved_at", UtcTimestamp, nullable=True),
    Column("delivered_at", UtcTimestamp, nullable=True),
    # A key is in the vault once per offer: the import skips a second copy.
    UniqueConstraint("offer_id", "key", name="uq_store_keys_offer_key"),
    # The next free keys of an offer, oldest first; the stock per offer.
    Index("ix_store_keys_offer_state", "offer_id", "state", "id"),
    Index("ix_store_keys_order", "order_id", "item_id"),
)

jobs = Table(
    "store_jobs",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("kind", String(JOB_KIND_MAX_LENGTH), nullable=False),
    Column("key", String(JOB_KEY_MAX_LENGTH), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("run_at", UtcTimestamp, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("reason", String(REASON_MAX_LENGTH), nullable=True),
    Column("waiting", Boolean, nullable=False, default=False),
    Column("lease_owner", String(255), nullable=True),
    Column("lease_until", UtcTimestamp, nullable=True),
    Column("created_at", UtcTimestamp, nullable=False),
    Column("finished_at", UtcTimestamp, nullable=True),
    # What a worker asks for: the due pending jobs, soonest first.
    Index("ix_store_jobs_due", "state", "run_at", "id"),
)
