"""The store's own state, in a database of its own (``--store-database-url``; by default
``store.sqlite3`` in the data dir): the notifications received, the orders the store knows, the
key vault and a durable job queue. The only module of the store that writes SQL; its tables and
migrations are its own, so the Market's sandbox reset never touches them (``docs/decisions.md``,
The store's own database)."""
