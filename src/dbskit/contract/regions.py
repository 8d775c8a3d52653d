"""The regions a sandbox order may be delivered to (Market region ids; spec RegionDTO).

A small directory: the emulator names the region in OrderDTO and needs its name and type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Region:
    id: int
    name: str
    type: str  # spec RegionType


MOSCOW: Final = Region(213, "Москва", "CITY")

REGIONS: Final[dict[int, Region]] = {
    region.id: region
    for region in (
        MOSCOW,
        Region(2, "Санкт-Петербург", "CITY"),
        Region(54, "Екатеринбург", "CITY"),
        Region(65, "Новосибирск", "CITY"),
        Region(43, "Казань", "CITY"),
        Region(1, "Москва и Московская область", "REPUBLIC"),
        Region(225, "Россия", "COUNTRY"),
    )
}
