"""Persistence: the database (SQLite file or PostgreSQL), its tables and migrations."""

from dbskit.storage.db import Database

__all__ = ["Database"]
