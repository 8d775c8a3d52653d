"""Store data from the files sellers keep: a settings file (TOML or YAML) and a catalogue
(YML feed or CSV). ``load_store`` builds everything or raises ``StoreDataError`` listing every
problem found, each with its file, place and reason."""

from __future__ import annotations

from dbskit.store_data.loaders.errors import Problem, StoreDataError
from dbskit.store_data.loaders.store import DEMO_SETTINGS, load_store

__all__ = ["DEMO_SETTINGS", "Problem", "StoreDataError", "load_store"]
