"""The example store data the README points at (examples/shop) loads as they are."""

from __future__ import annotations

from pathlib import Path

from dbskit.store_data.loaders import load_store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop" / "store.toml"


def test_the_example_store_data_load() -> None:
    data = load_store(EXAMPLE)
    summary = data.summary()
    assert (summary.offers, summary.regions, summary.rules, summary.outlets) == (4, 3, 3, 1)
