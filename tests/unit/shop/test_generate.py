"""The generator: the same store for the same seed, in memory and from every file format."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbskit.store_data.generate import generate_store, write_store
from dbskit.store_data.loaders import load_store


def test_same_seed_same_store() -> None:
    first, again = generate_store(5), generate_store(5)
    assert list(first.catalogue) == list(again.catalogue)
    assert list(first.regions.regions()) == list(again.regions.regions())
    assert list(first.rules.rules()) == list(again.rules.rules())
    assert list(generate_store(6).rules.rules()) != list(first.rules.rules())


@pytest.mark.parametrize("settings_format", ["yaml", "toml"])
@pytest.mark.parametrize("catalogue_format", ["xml", "csv"])
def test_files_load_to_the_generated_store(
    tmp_path: Path, settings_format: str, catalogue_format: str
) -> None:
    sizes = {"offers": 300, "regions": 120, "outlets": 40}
    path = write_store(
        tmp_path, 3, settings_format=settings_format, catalogue_format=catalogue_format, **sizes
    )
    loaded, built = load_store(path), generate_store(3, **sizes)
    assert list(loaded.catalogue) == list(built.catalogue)
    assert list(loaded.regions.regions()) == list(built.regions.regions())
    assert list(loaded.rules.rules()) == list(built.rules.rules())
    assert [s.outlet for s in loaded.rules.outlets()] == [s.outlet for s in built.rules.outlets()]
    assert loaded.settings.time_zone == built.settings.time_zone
    assert (len(loaded.catalogue), len(loaded.regions)) == (300, 120)
