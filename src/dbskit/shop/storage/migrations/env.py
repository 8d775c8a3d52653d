from __future__ import annotations

from alembic import context

from dbskit.shop.storage.migrations import VERSION_TABLE
from dbskit.shop.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - dbskit always passes its own connection
    raise RuntimeError(
        "the store's migrations run through dbskit.shop.storage.migrations.upgrade()"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
