from __future__ import annotations

from alembic import context

from dbskit.market.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - dbskit always passes its own connection
    raise RuntimeError("dbskit migrations run through dbskit.market.storage.migrations.upgrade()")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
